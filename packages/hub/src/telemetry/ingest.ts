/**
 * UDP telemetry ingest (docs/hub.md#telemetry-ingest): each datagram on the hub's
 * telemetry socket is checked in this order, cheapest and least trusting first, and the
 * first failing check rejects it with a code that is counted, logged (rate-limited) and
 * published as a `telemetry_rejected` event:
 *
 *   size ≤ 4096 bytes                         PL_ERR_TELEMETRY_MALFORMED
 *   seq older than the device's window        PL_ERR_TELEMETRY_REPLAY
 *     (device, boot and seq read from the raw bytes, before anything is checked;
 *     a seq already accepted, while acks to duplicates are spent, is counted as a
 *     duplicate here too: it would be neither stored nor acked)
 *   `{…}` around the text                     PL_ERR_TELEMETRY_MALFORMED
 *   MAC, when the device has a key            PL_ERR_TELEMETRY_BAD_MAC
 *     (checked on the raw bytes before JSON.parse when the id can be read from them)
 *   valid datagram                            PL_ERR_TELEMETRY_MALFORMED
 *   device known, when unknown ids are off    PL_ERR_UNKNOWN_DEVICE
 *   boot, and sequence window (too old)       PL_ERR_TELEMETRY_REPLAY
 *   already accepted (a resend)               not stored again; acked once stored, at
 *                                             most at the device's rate
 *   room in the store writer's queue          counted as dropped, not acked
 *   per-device rate                           PL_ERR_RATE_LIMITED
 *
 * Only a datagram that passes every check spends the device's rate budget, and only then
 * is its sequence number recorded: a forged, replayed or resent datagram costs the device
 * nothing, and one refused for rate is accepted when it is sent again.
 *
 * Accepted readings become TelemetryRows: published on the bus at once and written to the
 * store in batches by a TelemetryWriter. "Ack means stored": an ack goes out only once the
 * batch holding the reading has committed (about flushMs plus the commit later); if the
 * write fails, no ack is sent and the sequence number is taken back, so the device's
 * resend is stored. Each row carries its datagram's (boot, seq), by which a PostgreSQL store
 * that several hubs share stores a datagram they all received once; each hub acks it once
 * the store holds it, whichever hub's write put it there. Rejections cost counters only: no
 * Error objects, no per-datagram log.
 *
 * What is decided about one device's datagrams (boot, replay, resend, rate) is its
 * DeviceTrack's; this class reads the socket, finds the track, and carries out the verdict.
 */
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { encodeTelemetryAck, ErrorCode, inspectTelemetry, MAX_DATAGRAM_BYTES, peekTelemetry } from '@picolink/protocol';
import type { ErrorCodeValue, MacLookup, TelemetryDatagram } from '@picolink/protocol';
import type { BackoffOptions } from '@picolink/net';
import type { HubBus } from '../bus.js';
import type { HubConfig } from '../config.js';
import { DeviceCredentials } from '../credentials.js';
import type { HubStore, TelemetryRow } from '../store/store.js';
import { DeviceTrack } from './device-track.js';
import type { Admission, BootPolicy, TelemetryStats } from './device-track.js';
import { RejectionReporter } from './rejections.js';
import { DEFAULT_REPLAY_WINDOW } from './sequence.js';
import type { SequenceWindow } from './sequence.js';
import { TelemetryWriter } from './writer.js';
import type { TelemetryWriterCounters } from './writer.js';

export interface TelemetryIngestOptions {
  /** A UDP socket already bound (the hub's telemetry port). The ingest does not close it. */
  socket: UdpSocket;
  store: HubStore;
  bus: HubBus;
  /** Uses `devices` (ids, telemetryKey), `telemetry.maxPerDevicePerSecond`, `telemetry.maxBufferedRows` and `gateway.acceptUnknownDevices`. */
  config: Pick<HubConfig, 'devices' | 'telemetry' | 'gateway'>;
  /** Known devices and their keys, read at each datagram: default, `config.devices` alone (startHub adds managed devices). */
  credentials?: DeviceCredentials;
  /** Receives log lines (rejections, rate-limited; store failures). Default: none. */
  log?: (line: string) => void;
  /** Socket receive buffer to ask the kernel for, in bytes (Linux caps it at net.core.rmem_max). Default 4 MiB. */
  receiveBufferBytes?: number;
  /** Longest a row waits before it is written, in ms. Default 50. */
  flushMs?: number;
  /** Rows that trigger a write at once. Default 5000. */
  batchRows?: number;
  /** Waits between writes while the store is unreachable (full jitter). Default { baseMs: 1000, maxMs: 10000 }. */
  storeRetryBackoff?: BackoffOptions;
  /** Sequence numbers remembered per (device, boot) for duplicate and replay checks. Default 8192. */
  replayWindow?: number;
  /** A signed datagram that opens a boot the hub has not heard of must be younger than this (its `time`), in ms. Default 600000. */
  maxNewBootAgeMs?: number;
  /** Rejection reporting interval: at most one log line and event per device and code per interval, in ms. Default 10000. */
  rejectionIntervalMs?: number;
  /** Shortest time between two updates of a device's record (address, last seen), in ms. Default 1000. */
  deviceUpdateMs?: number;
  /** Most unconfigured devices tracked; datagrams from further new ids are rejected. Default 10000. */
  maxDevices?: number;
}

/** An ack waiting for the batch holding its reading to commit. */
interface PendingAck {
  track: DeviceTrack;
  boot: number;
  seq: number;
  address: string;
  port: number;
  /** The window that recorded `seq`. */
  window: SequenceWindow;
  /** True for the datagram whose rows were queued; false for a resend of one. */
  original: boolean;
}

/** The hub's telemetry socket, read from construction until close(). */
export class TelemetryIngest {
  /** The receive buffer the kernel granted, in bytes. */
  readonly receiveBufferBytes: number;
  private readonly socket: UdpSocket;
  private readonly store: HubStore;
  private readonly bus: HubBus;
  private readonly log: (line: string) => void;
  private readonly credentials: DeviceCredentials;
  private readonly acceptUnknown: boolean;
  private readonly maxPerSecond: number;
  private readonly policy: BootPolicy;
  private readonly deviceUpdateMs: number;
  private readonly maxDevices: number;
  private readonly tracks = new Map<string, DeviceTrack>();
  private unconfiguredTracks = 0;
  private received = 0;
  /** Rejections of datagrams that named no device, or one the hub does not track. */
  private readonly unattributed: Partial<Record<ErrorCodeValue, number>> = {};
  private readonly rows: TelemetryWriter<PendingAck>;
  private readonly reporter: RejectionReporter;
  private lastAckErrorLog = 0;
  private closed = false;

  constructor(options: TelemetryIngestOptions) {
    const { socket, config } = options;
    this.socket = socket;
    this.store = options.store;
    this.bus = options.bus;
    this.log = options.log ?? (() => {});
    this.credentials = options.credentials ?? DeviceCredentials.fromConfig(config.devices);
    this.acceptUnknown = config.gateway.acceptUnknownDevices;
    this.maxPerSecond = config.telemetry.maxPerDevicePerSecond;
    this.policy = { windowSize: options.replayWindow ?? DEFAULT_REPLAY_WINDOW, maxNewBootAgeMs: options.maxNewBootAgeMs ?? 600_000 };
    this.deviceUpdateMs = options.deviceUpdateMs ?? 1000;
    this.maxDevices = options.maxDevices ?? 10_000;
    this.rows = new TelemetryWriter<PendingAck>(this.store, { flushMs: options.flushMs, maxRows: options.batchRows, maxBufferedRows: config.telemetry.maxBufferedRows, retryBackoff: options.storeRetryBackoff, log: this.log, onSettled: this.writerOnSettled });
    this.reporter = new RejectionReporter({ bus: this.bus, store: this.store, log: this.log, intervalMs: options.rejectionIntervalMs });
    try {
      socket.setRecvBufferSize(options.receiveBufferBytes ?? 4 * 1024 * 1024);
    } catch (err) {
      this.log(`telemetry: cannot raise the UDP receive buffer: ${(err as Error).message}`);
    }
    this.receiveBufferBytes = socket.getRecvBufferSize();
    socket.on('message', this.socketOnMessage);
  }

  /** Totals over all devices (malformed datagrams included), or one device's figures (undefined if never heard). */
  stats(): TelemetryStats;
  stats(deviceId: string): TelemetryStats | undefined;
  stats(deviceId?: string): TelemetryStats | undefined {
    const now = Date.now();
    if (deviceId !== undefined) return this.tracks.get(deviceId)?.stats(now);
    const total: TelemetryStats = { received: this.received, accepted: 0, duplicates: 0, lost: 0, rejected: { ...this.unattributed }, ratePerSecond: 0, lastSeen: null };
    for (const track of this.tracks.values()) {
      const one = track.stats(now);
      total.accepted += one.accepted;
      total.duplicates += one.duplicates;
      total.lost += one.lost;
      total.ratePerSecond += one.ratePerSecond;
      if (one.lastSeen !== null && (total.lastSeen === null || one.lastSeen > total.lastSeen)) total.lastSeen = one.lastSeen;
      for (const [code, count] of Object.entries(one.rejected) as [ErrorCodeValue, number][]) total.rejected[code] = (total.rejected[code] ?? 0) + count;
    }
    total.ratePerSecond = Math.round(total.ratePerSecond * 10) / 10;
    return total;
  }

  /**
   * Handles one datagram that reached the hub another way than its UDP socket (the MQTT
   * uplink, mqtt/uplink.ts), through the same checks. `from` names the sender in logs,
   * rejection events and the device's record; port 0 means there is no way back to the
   * sender, so a datagram asking for an ack is stored but not acked.
   */
  receive(message: Buffer, from: RemoteInfo): void {
    this.socketOnMessage(message, from);
  }

  /** Rows written, failed, dropped and pending in the store writer. */
  get writer(): TelemetryWriterCounters {
    return this.rows.counters;
  }

  /** Resolves once every row accepted so far is in the store. */
  flush(): Promise<void> {
    return this.rows.flush();
  }

  /** Stops handling datagrams, writes what is pending and reports outstanding rejections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.off('message', this.socketOnMessage);
    this.reporter.close();
    await this.rows.close();
  }

  private readonly socketOnMessage = (message: Buffer, from: RemoteInfo): void => {
    if (this.closed) return;
    this.received += 1;
    if (message.length > MAX_DATAGRAM_BYTES) {
      this.reject(ErrorCode.TELEMETRY_MALFORMED, `malformed telemetry datagram: larger than ${MAX_DATAGRAM_BYTES} bytes`, from, undefined);
      return;
    }
    const now = Date.now();
    const text = message.toString('utf8');
    // Before the MAC and the parse, so that a replay flood costs little (DeviceTrack.screen).
    const position = this.tracks.size > 0 ? peekTelemetry(text) : undefined;
    const known = position === undefined ? undefined : this.tracks.get(position.device);
    if (position !== undefined && known !== undefined) {
      const early = known.screen(position.boot, position.seq, now);
      if (early) return this.carryOut(early, undefined, known, from, now);
    }
    const inspection = inspectTelemetry(text, this.macFor);
    if (!inspection.ok) {
      // Only configured devices have keys, so a bad MAC always names a device to track.
      const blamed = inspection.device === undefined ? undefined : this.trackFor(inspection.device, now);
      if (typeof blamed === 'object') blamed.received += 1;
      this.reject(inspection.code, inspection.reason, from, typeof blamed === 'object' ? blamed : undefined);
      return;
    }
    const { message: datagram, authenticated } = inspection;
    const track = this.trackFor(datagram.device, now);
    if (typeof track === 'string') {
      this.reject(ErrorCode.UNKNOWN_DEVICE, track, from, undefined);
      return;
    }
    this.carryOut(track.admit(datagram, authenticated, now, this.writerHasRoom), datagram, track, from, now);
  };

  /** Does what the device's track decided about a datagram (`datagram` undefined when decided before parsing). */
  private carryOut(admission: Admission, datagram: TelemetryDatagram | undefined, track: DeviceTrack, from: RemoteInfo, now: number): void {
    switch (admission.verdict) {
      case 'replay':
        return this.reject(ErrorCode.TELEMETRY_REPLAY, admission.reason, from, track);
      case 'rate-limited':
        return this.reject(ErrorCode.RATE_LIMITED, `more than ${this.maxPerSecond} datagrams per second (telemetry.maxPerDevicePerSecond)`, from, track);
      case 'no-room':
        return this.rows.drop(admission.rows);
      case 'duplicate':
        if (datagram && admission.ackWindow) this.rows.afterCommit({ track, boot: datagram.boot, seq: datagram.seq, address: from.address, port: from.port, window: admission.ackWindow, original: false });
        return;
      case 'accepted':
        if (datagram) this.accept(datagram, track, admission.window, from, now);
    }
  }

  private readonly writerHasRoom = (rows: number): boolean => this.rows.hasRoom(rows);

  private readonly macFor: MacLookup = (device, text) => this.credentials.signer(device)?.(text);

  private reject(code: ErrorCodeValue, reason: string, from: RemoteInfo, track: DeviceTrack | undefined): void {
    if (track) track.reject(code);
    else this.unattributed[code] = (this.unattributed[code] ?? 0) + 1;
    this.reporter.report(code, track?.deviceId, from, reason);
  }

  /** The device's track (opened on its first datagram), or why the hub will not track it. */
  private trackFor(deviceId: string, now: number): DeviceTrack | string {
    let track = this.tracks.get(deviceId);
    if (track) return track;
    if (!this.credentials.has(deviceId)) {
      // Unknown ids are refused only when devices are known and unknown ones are not accepted.
      if (this.credentials.size > 0 && !this.acceptUnknown) return `device "${deviceId}" is not in the hub's configuration; add it to "devices" or set gateway.acceptUnknownDevices`;
      if (this.unconfiguredTracks >= this.maxDevices) return `the hub already tracks ${this.maxDevices} unconfigured devices`;
      this.unconfiguredTracks += 1;
    }
    track = new DeviceTrack(deviceId, this.maxPerSecond, now, this.policy);
    this.tracks.set(deviceId, track);
    return track;
  }

  private sendAck(device: string, boot: number, seq: number, address: string, port: number): void {
    const ack = encodeTelemetryAck({ v: 1, device, boot, ack: seq }, this.credentials.signer(device));
    try {
      this.socket.send(ack, port, address, this.socketOnAckSent);
    } catch (err) {
      this.socketOnAckSent(err as Error);
    }
  }

  /** A batch finished: ack what it stored; take back the sequence numbers of what it lost. */
  private readonly writerOnSettled = (acks: PendingAck[], stored: boolean): void => {
    for (const pending of acks) {
      if (pending.original && !stored) {
        pending.track.takeBack(pending.window, pending.seq);
        continue;
      }
      // A resend is acked unless the datagram it repeats was lost in a failed write.
      if (stored && (pending.original || pending.window.judge(pending.seq) !== 'new')) {
        this.sendAck(pending.track.deviceId, pending.boot, pending.seq, pending.address, pending.port);
      }
    }
  };

  private readonly socketOnAckSent = (err: Error | null): void => {
    if (!err || Date.now() - this.lastAckErrorLog < 10_000) return;
    this.lastAckErrorLog = Date.now();
    this.log(`telemetry: cannot send an ack: ${err.message}`);
  };

  /** Updates the device's record (address, last seen); one update at a time per device. */
  private async recordDevice(track: DeviceTrack, from: RemoteInfo, now: number): Promise<void> {
    try {
      // A device the hub also reaches another way keeps that mode and its control address.
      const known = await this.store.getDevice(track.deviceId);
      if (known && known.mode !== 'telemetry') await this.store.upsertDevice({ id: track.deviceId, mode: known.mode, seenAt: now });
      else await this.store.upsertDevice({ id: track.deviceId, mode: 'telemetry', address: `${from.address}:${from.port}`, seenAt: now });
    } catch (err) {
      this.log(`telemetry: cannot record device "${track.deviceId}": ${(err as Error).message}`);
    } finally {
      track.endRecordUpdate();
    }
  }

  private accept(datagram: TelemetryDatagram, track: DeviceTrack, window: SequenceWindow, from: RemoteInfo, now: number): void {
    const time = datagram.time ?? now;
    // One key for the datagram's rows: a store that several hubs share stores them once.
    const key = { boot: datagram.boot, seq: datagram.seq };
    // The rows go to live subscribers as one array; nobody listening, no array.
    const rows: TelemetryRow[] | undefined = this.bus.listenerCount('telemetry') > 0 ? [] : undefined;
    for (const metric in datagram.readings) {
      const row: TelemetryRow = { deviceId: datagram.device, metric, time, value: datagram.readings[metric] as number, datagram: key };
      rows?.push(row);
      this.rows.add(row);
    }
    if (rows) this.bus.emit('telemetry', rows);
    if (datagram.ack === true && from.port !== 0) this.rows.afterCommit({ track, boot: datagram.boot, seq: datagram.seq, address: from.address, port: from.port, window, original: true });
    if (track.beginRecordUpdate(now, this.deviceUpdateMs)) void this.recordDevice(track, from, now);
  }
}

/** Starts reading telemetry from `options.socket` (the same as `new TelemetryIngest(options)`). */
export function startTelemetryIngest(options: TelemetryIngestOptions): TelemetryIngest {
  return new TelemetryIngest(options);
}
