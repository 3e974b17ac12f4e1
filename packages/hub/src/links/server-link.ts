/**
 * A device in server mode as a DeviceLink: an SDK connection (@picolink/client) the hub
 * opened to it. The client already speaks to both kinds of peer — picolink devices
 * (pipelined, with ids) and stock piconetcontrol servers (one request at a time, no ids)
 * — so this only adds counters and the directory's interface.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { Device } from '@picolink/client';
import type { DeviceLink, LinkStats } from '../directory.js';

export class ServerLink implements DeviceLink {
  readonly mode = 'server' as const;
  readonly connectedAt = Date.now();
  readonly protocol: number | null;
  readonly capabilities: readonly string[];
  private requests = 0;
  private errors = 0;
  private lastRoundTripMs: number | null = null;
  private closedReason: string | undefined;

  constructor(
    private readonly device: Device,
    readonly deviceId: string,
    readonly address: string,
    private readonly timeoutMs: number,
  ) {
    this.protocol = device.protocol;
    this.capabilities = device.capabilities;
  }

  async send(request: Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<Record<string, unknown>> {
    if (this.closedReason !== undefined) {
      throw new PicolinkError(ErrorCode.DEVICE_OFFLINE, `device "${this.deviceId}" is not connected to the hub (${this.closedReason})`);
    }
    this.requests += 1;
    const started = performance.now();
    try {
      const response = await this.device.send(request, { timeoutMs: options.timeoutMs ?? this.timeoutMs });
      this.lastRoundTripMs = performance.now() - started;
      if (response.ok === false || (response.ok === undefined && response.error !== undefined)) this.errors += 1;
      return response;
    } catch (err) {
      this.errors += 1;
      throw err;
    }
  }

  /** Why the hub closed this link (e.g. replaced by a newer one), if it did. */
  get closeReason(): string | undefined {
    return this.closedReason;
  }

  close(reason: string): void {
    this.closedReason ??= reason;
    void this.device.close();
  }

  /** The connection ended on its own. */
  markClosed(reason: string): void {
    this.closedReason ??= reason;
  }

  stats(): LinkStats {
    return { requests: this.requests, errors: this.errors, lastRoundTripMs: this.lastRoundTripMs };
  }
}
