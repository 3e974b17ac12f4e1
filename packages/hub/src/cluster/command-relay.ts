/**
 * Commands across hubs (docs/scaling.md#commands-across-hubs). A command for a device
 * that another hub of the cluster holds goes to that hub over the cluster channel as
 * `{kind: 'command', to: holder, reqId, deviceId, request, actor, timeoutMs}`; the holder
 * sends it through its own commands service — so its audit record and remembered outputs
 * are written exactly as for a local command — and answers `{kind: 'answer', to: origin,
 * reqId, response}` or `{..., error: {code, message}}`. The origin gives up with
 * PL_ERR_TIMEOUT after the device timeout plus `graceMs`, or with PL_ERR_DEVICE_OFFLINE as
 * soon as the device goes offline (its holder closed the link or stopped renewing).
 * Large requests (update files) are carried by the channel's mail table.
 */
import { ErrorCode, isErrorCode, PicolinkError, toPicolinkError } from '@picolink/protocol';
import type { RateLimitedLog } from '@picolink/net';
import type { DeviceStatusChange, HubBus } from '../bus.js';
import type { CommandForwarder, ForwardOutcome } from '../state/device-commands.js';
import type { ClusterChannel, ClusterMessage, OutgoingMessage } from './channel.js';

/** What the relay needs of the cluster channel. */
export type RelayChannel = Pick<ClusterChannel, 'publish' | 'on'>;

/** Runs a command arriving from another hub on this hub's own links only (never forwarded again). */
export type LocalExecute = (deviceId: string, request: Record<string, unknown>, actor: string, timeoutMs: number) => Promise<Record<string, unknown>>;

export interface CommandRelayOptions {
  /** This hub's id (`hubId`). */
  hubId: string;
  channel: RelayChannel;
  /** The other hub holding a device's connection now, from the presence mirror; undefined when none does. */
  holderOf: (deviceId: string) => string | undefined;
  /** Runs a command that another hub forwarded, on a local link. */
  execute: LocalExecute;
  /** Where the relay hears devices go offline (remote ones carry `hubId`). */
  bus: HubBus;
  log: RateLimitedLog;
  /** Device answer timeout used when the caller gives none, ms. Default 10000 (the gateway's). */
  timeoutMs?: number;
  /** Extra time the origin waits beyond the device timeout for the holder's answer, ms. Default 2000. */
  graceMs?: number;
  /** Commands from other hubs running here at once; more are answered PL_ERR_BUSY. Default 1024. */
  maxIncoming?: number;
}

interface Pending {
  deviceId: string;
  holder: string;
  settle: (outcome: ForwardOutcome) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_GRACE_MS = 2000;
const DEFAULT_MAX_INCOMING = 1024;

export class CommandRelay implements CommandForwarder {
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Set<Promise<void>>();
  private nextReqId = 0;
  private closed = false;

  constructor(private readonly options: CommandRelayOptions) {
    options.channel.on('command', (message) => this.onCommand(message));
    options.channel.on('answer', (message) => this.onAnswer(message));
    options.bus.on('status', this.onStatus);
  }

  holderOf(deviceId: string): string | undefined {
    return this.options.holderOf(deviceId);
  }

  /** Sends one request (without `id`) to the hub holding the device and waits for its answer. */
  forward(holder: string, deviceId: string, request: Record<string, unknown>, actor: string, timeoutMs?: number): Promise<ForwardOutcome> {
    if (this.closed) return Promise.resolve({ error: shuttingDown(), answered: false });
    const deviceTimeoutMs = timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.nextReqId += 1;
    const reqId = String(this.nextReqId);
    return new Promise<ForwardOutcome>((resolve) => {
      const waitMs = deviceTimeoutMs + (this.options.graceMs ?? DEFAULT_GRACE_MS);
      const timer = setTimeout(() => {
        this.settle(reqId, {
          error: new PicolinkError(ErrorCode.TIMEOUT, `hub "${holder}", which holds device "${deviceId}", did not answer "${String(request.action)}" within ${waitMs} ms`),
          answered: false,
        });
      }, waitMs);
      this.pending.set(reqId, { deviceId, holder, settle: resolve, timer });
      const message: OutgoingMessage = { kind: 'command', to: holder, reqId, deviceId, request, actor, timeoutMs: deviceTimeoutMs };
      this.options.channel.publish(message).catch((err: unknown) => {
        const cause = toPicolinkError(err);
        this.settle(reqId, { error: new PicolinkError(cause.code, `relaying the command for device "${deviceId}" to hub "${holder}" failed: ${cause.message}`), answered: false });
      });
    });
  }

  /** Stops relaying: waiting commands fail, commands running for other hubs finish and are answered. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.options.bus.off('status', this.onStatus);
    for (const reqId of [...this.pending.keys()]) this.settle(reqId, { error: shuttingDown(), answered: false });
    await Promise.all([...this.running]);
  }

  private settle(reqId: string, outcome: ForwardOutcome): void {
    const entry = this.pending.get(reqId);
    if (!entry) return;
    this.pending.delete(reqId);
    clearTimeout(entry.timer);
    entry.settle(outcome);
  }

  /** The device went offline (wherever it was): nothing forwarded to it can be answered by the device now. */
  private readonly onStatus = (change: DeviceStatusChange): void => {
    if (change.online) return;
    for (const [reqId, entry] of this.pending) {
      if (entry.deviceId !== change.deviceId) continue;
      this.settle(reqId, {
        error: new PicolinkError(ErrorCode.DEVICE_OFFLINE, `device "${entry.deviceId}" went offline (it was connected to hub "${entry.holder}") before it answered`),
        answered: false,
      });
    }
  };

  private onAnswer(message: ClusterMessage): void {
    if (typeof message.reqId !== 'string') return;
    const error = message.error as { code?: unknown; message?: unknown } | undefined;
    if (error !== undefined && error !== null) {
      const code = isErrorCode(error.code) ? error.code : ErrorCode.INTERNAL;
      this.settle(message.reqId, { error: new PicolinkError(code, typeof error.message === 'string' ? error.message : `hub "${message.from}" answered ${code}`), answered: true });
      return;
    }
    const response = message.response;
    if (response === null || typeof response !== 'object' || Array.isArray(response)) {
      this.settle(message.reqId, { error: new PicolinkError(ErrorCode.BAD_RESPONSE, `hub "${message.from}" answered without a response object`), answered: true });
      return;
    }
    this.settle(message.reqId, { response: response as Record<string, unknown> });
  }

  private onCommand(message: ClusterMessage): void {
    // A command is for the one hub holding the device, never for every hub.
    if (message.to !== this.options.hubId) return;
    const { reqId, deviceId, request, actor, timeoutMs } = message;
    if (typeof reqId !== 'string' || typeof deviceId !== 'string' || typeof actor !== 'string' || request === null || typeof request !== 'object' || Array.isArray(request)) {
      this.options.log.limited('cluster-command', `cluster: a command from hub "${message.from}" is malformed; ignored`);
      return;
    }
    const answer = (fields: Record<string, unknown>): Promise<void> =>
      this.options.channel.publish({ kind: 'answer', to: message.from, reqId, ...fields }).catch((err: unknown) => {
        this.options.log.limited('cluster-answer', `cluster: answering hub "${message.from}" for device "${deviceId}" failed: ${toPicolinkError(err).message}`);
      });
    if (this.closed || this.running.size >= (this.options.maxIncoming ?? DEFAULT_MAX_INCOMING)) {
      const error = this.closed ? shuttingDown() : new PicolinkError(ErrorCode.BUSY, `hub "${this.options.hubId}" is running too many commands for other hubs; try again`);
      void answer({ error: { code: error.code, message: error.message } });
      return;
    }
    const deviceTimeoutMs = typeof timeoutMs === 'number' && timeoutMs > 0 ? timeoutMs : (this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const run = this.options
      .execute(deviceId, request as Record<string, unknown>, actor, deviceTimeoutMs)
      .then(
        (response) => answer({ response }),
        (err: unknown) => {
          const error = toPicolinkError(err);
          return answer({ error: { code: error.code, message: error.message } });
        },
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }
}

function shuttingDown(): PicolinkError {
  return new PicolinkError(ErrorCode.CONNECTION_CLOSED, 'the hub is shutting down');
}
