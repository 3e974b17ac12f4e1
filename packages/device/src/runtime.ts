/**
 * One device: its hardware backend, pin registry and firmware files, its clock, and the
 * power states a real board goes through (running, restarting, light and deep sleep).
 * Connections (sessions) attach to it; it closes them when the board would lose them.
 */
import { randomBytes } from 'node:crypto';
import { CAPABILITIES, DEVICE_ID_PATTERN, ErrorCode, PicolinkError, PROTOCOL_VERSION } from '@picolink/protocol';
import type { DeviceInfo, ErrorCodeValue, RequestFields } from '@picolink/protocol';
import type { GpioBackend } from './gpio/backend.js';
import { SimulatedBackend } from './gpio/simulated.js';
import { PinRegistry } from './pins/registry.js';
import type { PinWatcher } from './pins/watch.js';
import { MemoryFirmwareStore } from './firmware/store.js';
import type { FirmwareStore } from './firmware/store.js';
import { checkUpdateAtStart, checkUpdateHashes, decodeUpdateFiles, installUpdate, simulatedFailure } from './firmware/update.js';
import type { UpdateStatus } from './firmware/update.js';
import { silentLog } from '@picolink/net';
import type { LogSink } from '@picolink/net';

/** Firmware version this runtime reports by default. */
export const DEVICE_FIRMWARE_VERSION = '0.1.0';

/** Default delay between replying to reset/sleep/update and doing it, in ms. */
export const DEFAULT_ACTION_DELAY_MS = 1000;

export type RuntimeState = 'starting' | 'running' | 'restarting' | 'deep-sleep' | 'closed';

/** What the runtime needs from a connection (implemented by DeviceSession). */
export interface RuntimeConnection extends PinWatcher {
  readonly id: number;
  /** Closes the connection from the device side, telling the peer why first. */
  closeByDevice(code: ErrorCodeValue, message: string): void;
}

export interface DeviceRuntimeOptions {
  /** Hardware backend. Default: a new {@link SimulatedBackend}. */
  backend?: GpioBackend;
  /** Device id reported by get_info and in telemetry (1-64 of A-Z a-z 0-9 _ . -). Default "sim-" + 8 random hex digits. */
  deviceId?: string;
  /** Firmware file store used by `update`. Default: an empty {@link MemoryFirmwareStore}. */
  firmware?: FirmwareStore;
  /** Version string reported by get_version and get_info. Default {@link DEVICE_FIRMWARE_VERSION}. */
  firmwareVersion?: string;
  /** Delay between the reply to reset/sleep/update and the action, in ms. Default 1000. */
  actionDelayMs?: number;
  /** Decides at start whether an updated file is code that fails to start. Default: contains "picolink-sim: fail-start". */
  failsToStart?: (name: string, content: Uint8Array) => boolean;
  /** Receives log lines. Default: none. */
  log?: LogSink;
}

export class DeviceRuntime {
  readonly backend: GpioBackend;
  readonly pins: PinRegistry;
  readonly firmware: FirmwareStore;
  readonly deviceId: string;
  readonly firmwareVersion: string;
  readonly actionDelayMs: number;
  private readonly failsToStart: (name: string, content: Uint8Array) => boolean;
  private readonly log: LogSink;
  private readonly connections = new Set<RuntimeConnection>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private currentState: RuntimeState = 'starting';
  private startedAt = performance.now();
  private currentBootId = randomBootId();
  private updateStatus: UpdateStatus = { status: 'none', files: [] };
  private lightSleep: { until: Promise<void>; wake: () => void } | undefined;
  private restartAt: number | undefined;
  private updating = false;
  private lastConnectionId = 0;
  private clockOffsetMs = 0;

  constructor(options: DeviceRuntimeOptions = {}) {
    const deviceId = options.deviceId ?? `sim-${randomBytes(4).toString('hex')}`;
    if (!DEVICE_ID_PATTERN.test(deviceId)) {
      throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `device id "${deviceId}" must be 1-64 letters, digits, "_", "-" or "."`);
    }
    this.deviceId = deviceId;
    this.backend = options.backend ?? new SimulatedBackend();
    this.firmware = options.firmware ?? new MemoryFirmwareStore();
    this.firmwareVersion = options.firmwareVersion ?? DEVICE_FIRMWARE_VERSION;
    this.actionDelayMs = options.actionDelayMs ?? DEFAULT_ACTION_DELAY_MS;
    this.failsToStart = options.failsToStart ?? simulatedFailure;
    this.log = options.log ?? silentLog;
    this.pins = new PinRegistry(this.backend, { uptimeMs: () => this.uptimeMs(), now: () => this.now() });
  }

  /** Boots the device: checks a pending update, then accepts connections. */
  async start(): Promise<void> {
    if (this.currentState !== 'starting') return;
    await this.boot();
  }

  get state(): RuntimeState {
    return this.currentState;
  }

  /** Random number drawn at each start; telemetry carries it so restarts are not replays. */
  get bootId(): number {
    return this.currentBootId;
  }

  /** Outcome of the last update, as get_info reports it. */
  get lastUpdate(): UpdateStatus {
    return { status: this.updateStatus.status, files: [...this.updateStatus.files] };
  }

  /** Milliseconds since the device (re)started. */
  uptimeMs(): number {
    return Math.floor(performance.now() - this.startedAt);
  }

  /**
   * The device's clock, Unix ms: the host clock, corrected by {@link setClock} (a
   * dial-home device takes the hub's time from its welcome, docs/protocol.md#clock-sync).
   * Stamps pin_change `time`, response `time_received` and telemetry `time`.
   */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Sets the device clock to `unixMs` (now). */
  setClock(unixMs: number): void {
    this.clockOffsetMs = Math.round(unixMs - Date.now());
  }

  /** How far the device clock is ahead of the host clock, in ms (negative: behind). */
  get clockOffset(): number {
    return this.clockOffsetMs;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** False while restarting or in deep sleep: new connections are refused. */
  acceptsConnections(): boolean {
    return this.currentState === 'running';
  }

  nextConnectionId(): number {
    this.lastConnectionId += 1;
    return this.lastConnectionId;
  }

  attach(connection: RuntimeConnection): void {
    this.connections.add(connection);
  }

  /** A connection closed: the failsafe applies to the pins it owned, its watches end. */
  detach(connection: RuntimeConnection): void {
    if (!this.connections.delete(connection)) return;
    this.pins.releaseOwner(connection.id);
    this.pins.unwatchAll(connection);
  }

  /** While in light sleep, a promise that resolves on waking; frames wait for it. */
  sleepGate(): Promise<void> | undefined {
    return this.lightSleep?.until;
  }

  /** Schedules a restart after the action delay; returns the delay in ms. */
  scheduleReset(): number {
    return this.scheduleRestart('reset');
  }

  /** Schedules light or deep sleep of `timeMs` after the action delay; returns the delay. */
  scheduleSleep(timeMs: number, deep: boolean): number {
    this.later(this.actionDelayMs, () => (deep ? this.deepSleep(timeMs) : this.startLightSleep(timeMs)));
    return this.actionDelayMs;
  }

  /** Verifies and installs an update, then schedules the restart into it; returns the names written. */
  async update(request: RequestFields['update']): Promise<string[]> {
    if (this.updating || this.restartAt !== undefined) {
      throw new PicolinkError(ErrorCode.BUSY, 'an update or restart is already under way; wait for the device to restart, then retry');
    }
    this.updating = true;
    try {
      const decoded = decodeUpdateFiles(request.files, request.compress);
      checkUpdateHashes(decoded, request.sha256);
      const names = await installUpdate(this.firmware, decoded);
      this.log(`update installed: ${names.join(', ')}; restarting in ${this.actionDelayMs} ms`);
      this.scheduleRestart('update');
      return names;
    } catch (err) {
      this.updating = false;
      throw err;
    }
  }

  /** Milliseconds until a scheduled restart, or the action delay when none is scheduled. */
  restartDelayMs(): number {
    return this.restartAt === undefined ? this.actionDelayMs : Math.max(0, Math.ceil(this.restartAt - performance.now()));
  }

  /** Resource information for get_info. */
  info(): DeviceInfo {
    const memory = this.backend.memory();
    return {
      mem_free: memory.free,
      mem_alloc: memory.alloc,
      uptime_ms: this.uptimeMs(),
      board: this.backend.board,
      platform: this.backend.platform,
      firmware: this.firmwareVersion,
      protocol: PROTOCOL_VERSION,
      capabilities: [...CAPABILITIES],
      rssi: this.backend.rssi(),
      pins: this.backend.pins.filter((pin): pin is number => typeof pin === 'number'),
      last_update: this.lastUpdate,
      device_id: this.deviceId,
    };
  }

  /** Stops everything: connections closed, timers cleared, sleepers woken. */
  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.wake();
    this.disconnectAll(ErrorCode.CONNECTION_CLOSED, 'the device is shutting down');
    this.pins.close();
  }

  private scheduleRestart(reason: string): number {
    if (this.restartAt === undefined) {
      this.restartAt = performance.now() + this.actionDelayMs;
      this.later(this.actionDelayMs, () => this.restart(reason));
    }
    return this.restartDelayMs();
  }

  private async restart(reason: string): Promise<void> {
    if (this.currentState === 'closed') return;
    this.log(`restarting (${reason})`);
    this.currentState = 'restarting';
    this.wake();
    this.disconnectAll(ErrorCode.CONNECTION_CLOSED, `the device is restarting (${reason}); reconnect in a moment`);
    this.pins.reset();
    await this.boot();
  }

  private deepSleep(timeMs: number): void {
    if (this.currentState !== 'running') return;
    this.log(`deep sleep for ${timeMs} ms`);
    this.currentState = 'deep-sleep';
    this.wake();
    this.disconnectAll(ErrorCode.CONNECTION_CLOSED, `the device is going into deep sleep for ${timeMs} ms; reconnect after it wakes`);
    this.pins.reset();
    this.later(timeMs, () => this.restart('woke from deep sleep'));
  }

  private startLightSleep(timeMs: number): void {
    if (this.currentState !== 'running' || this.lightSleep) return;
    this.log(`light sleep for ${timeMs} ms`);
    let wake = (): void => {};
    const until = new Promise<void>((resolve) => (wake = resolve));
    this.lightSleep = { until, wake };
    this.later(timeMs, () => this.wake());
  }

  private wake(): void {
    const sleep = this.lightSleep;
    this.lightSleep = undefined;
    sleep?.wake();
  }

  private async boot(): Promise<void> {
    this.startedAt = performance.now();
    this.currentBootId = randomBootId();
    this.restartAt = undefined;
    try {
      const outcome = await checkUpdateAtStart(this.firmware, this.failsToStart);
      if (outcome) {
        this.updateStatus = outcome;
        this.log(`update check at start: ${outcome.status === 'ok' ? 'new files started' : 'new files failed, old files restored'} (${outcome.files.join(', ')})`);
      }
    } catch (err) {
      this.log(`update check at start failed: ${(err as Error).message}`);
    }
    this.updating = false;
    if (this.currentState !== 'closed') this.currentState = 'running';
  }

  /** Failsafe first (while other watchers can still hear it), then the connections go. */
  private disconnectAll(code: ErrorCodeValue, message: string): void {
    const connections = [...this.connections];
    for (const connection of connections) this.pins.releaseOwner(connection.id);
    for (const connection of connections) connection.closeByDevice(code, message);
  }

  private later(delayMs: number, action: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void Promise.resolve(action()).catch((err: unknown) => this.log(`internal error: ${(err as Error).message}`));
    }, delayMs);
    this.timers.add(timer);
  }
}

function randomBootId(): number {
  return randomBytes(4).readUInt32BE(0);
}
