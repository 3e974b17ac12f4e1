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
 * resend is stored. Rejections cost counters only: no Error objects, no per-datagram log.
 */
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { encodeTelemetryAck, ErrorCode, inspectTelemetry, MAX_DATAGRAM_BYTES, peekTelemetry } from '@picolink/protocol';
import type { ErrorCodeValue, MacLookup, TelemetryDatagram, TextSigner } from '@picolink/protocol';
import type { HubBus } from '../bus.js';
import type { HubConfig } from '../config.js';
import { DeviceCredentials } from '../credentials.js';
import type { HubStore, TelemetryRow } from '../store/store.js';
import { DeviceTrack } from './device-track.js';
import type { BootState, TelemetryStats } from './device-track.js';
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
  /** Uses `devices` (ids, telemetryKey), `telemetry.maxPerDevicePerSecond` and `gateway.acceptUnknownDevices`. */
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

export interface TelemetryIngest {
  /** Totals over all devices (malformed datagrams included), or one device's figures (undefined if never heard). */
  stats(): TelemetryStats;
  stats(deviceId: string): TelemetryStats | undefined;
  /** Rows written, failed, dropped and pending in the store writer. */
  readonly writer: TelemetryWriterCounters;
  /** The receive buffer the kernel granted, in bytes. */
  readonly receiveBufferBytes: number;
  /** Resolves once every row accepted so far is in the store. */
  flush(): Promise<void>;
  /** Stops handling datagrams, writes what is pending and reports outstanding rejections. */
  close(): Promise<void>;
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

export function startTelemetryIngest(options: TelemetryIngestOptions): TelemetryIngest {
  const { socket, store, bus, config } = options;
  const log = options.log ?? (() => {});
  const maxPerSecond = config.telemetry.maxPerDevicePerSecond;
  const policy = { windowSize: options.replayWindow ?? DEFAULT_REPLAY_WINDOW, maxNewBootAgeMs: options.maxNewBootAgeMs ?? 600_000 };
  const deviceUpdateMs = options.deviceUpdateMs ?? 1000;
  const maxDevices = options.maxDevices ?? 10_000;
  const credentials = options.credentials ?? DeviceCredentials.fromConfig(config.devices);
  // Unknown ids are refused only when devices are known and unknown ones are not accepted.
  const requireKnown = (): boolean => credentials.size > 0 && !config.gateway.acceptUnknownDevices;
  const signers = { get: (id: string): TextSigner | undefined => credentials.signer(id) };
  const macFor: MacLookup = (device, text) => signers.get(device)?.(text);

  const tracks = new Map<string, DeviceTrack>();
  let unconfiguredTracks = 0;
  let received = 0;
  /** Rejections of datagrams that named no device, or one the hub does not track. */
  const unattributed: Partial<Record<ErrorCodeValue, number>> = {};
  const writer = new TelemetryWriter<PendingAck>(store, { flushMs: options.flushMs, maxRows: options.batchRows, log, onSettled: writerOnSettled });
  const reporter = new RejectionReporter({ bus, store, log, intervalMs: options.rejectionIntervalMs });
  let lastAckErrorLog = 0;
  let closed = false;

  try {
    socket.setRecvBufferSize(options.receiveBufferBytes ?? 4 * 1024 * 1024);
  } catch (err) {
    log(`telemetry: cannot raise the UDP receive buffer: ${(err as Error).message}`);
  }
  const receiveBufferBytes = socket.getRecvBufferSize();

  function reject(code: ErrorCodeValue, reason: string, from: RemoteInfo, track: DeviceTrack | undefined): void {
    if (track) track.reject(code);
    else unattributed[code] = (unattributed[code] ?? 0) + 1;
    reporter.report(code, track?.deviceId, from, reason);
  }

  function trackFor(deviceId: string, now: number): DeviceTrack | string {
    let track = tracks.get(deviceId);
    if (track) return track;
    const isConfigured = credentials.has(deviceId);
    if (!isConfigured) {
      if (requireKnown()) return `device "${deviceId}" is not in the hub's configuration; add it to "devices" or set gateway.acceptUnknownDevices`;
      if (unconfiguredTracks >= maxDevices) return `the hub already tracks ${maxDevices} unconfigured devices`;
      unconfiguredTracks += 1;
    }
    track = new DeviceTrack(deviceId, maxPerSecond, now);
    tracks.set(deviceId, track);
    return track;
  }

  function sendAck(device: string, boot: number, seq: number, address: string, port: number): void {
    const ack = encodeTelemetryAck({ v: 1, device, boot, ack: seq }, signers.get(device));
    try {
      socket.send(ack, port, address, socketOnAckSent);
    } catch (err) {
      socketOnAckSent(err as Error);
    }
  }

  /** A batch finished: ack what it stored; take back the sequence numbers of what it lost. */
  function writerOnSettled(acks: PendingAck[], stored: boolean): void {
    for (const pending of acks) {
      if (pending.original && !stored) {
        pending.window.forget(pending.seq);
        pending.track.accepted -= 1;
        continue;
      }
      // A resend is acked unless the datagram it repeats was lost in a failed write.
      if (stored && (pending.original || pending.window.judge(pending.seq) !== 'new')) {
        sendAck(pending.track.deviceId, pending.boot, pending.seq, pending.address, pending.port);
      }
    }
  }

  function socketOnAckSent(err: Error | null): void {
    if (!err || Date.now() - lastAckErrorLog < 10_000) return;
    lastAckErrorLog = Date.now();
    log(`telemetry: cannot send an ack: ${err.message}`);
  }

  async function recordDevice(track: DeviceTrack, from: RemoteInfo, now: number): Promise<void> {
    track.recording = true;
    track.recordedAt = now;
    try {
      // A device the hub also reaches another way keeps that mode and its control address.
      const known = await store.getDevice(track.deviceId);
      if (known && known.mode !== 'telemetry') await store.upsertDevice({ id: track.deviceId, mode: known.mode, seenAt: now });
      else await store.upsertDevice({ id: track.deviceId, mode: 'telemetry', address: `${from.address}:${from.port}`, seenAt: now });
    } catch (err) {
      log(`telemetry: cannot record device "${track.deviceId}": ${(err as Error).message}`);
    } finally {
      track.recording = false;
    }
  }

  function accept(datagram: TelemetryDatagram, track: DeviceTrack, window: SequenceWindow, from: RemoteInfo, now: number): void {
    const time = datagram.time ?? now;
    // The rows go to live subscribers as one array; nobody listening, no array.
    const rows: TelemetryRow[] | undefined = bus.listenerCount('telemetry') > 0 ? [] : undefined;
    for (const metric in datagram.readings) {
      const row: TelemetryRow = { deviceId: datagram.device, metric, time, value: datagram.readings[metric] as number };
      rows?.push(row);
      writer.add(row);
    }
    if (rows) bus.emit('telemetry', rows);
    if (datagram.ack === true) writer.afterCommit({ track, boot: datagram.boot, seq: datagram.seq, address: from.address, port: from.port, window, original: true });
    if (!track.recording && now - track.recordedAt >= deviceUpdateMs) void recordDevice(track, from, now);
  }

  function readingCount(datagram: TelemetryDatagram): number {
    let count = 0;
    for (const _metric in datagram.readings) count += 1;
    return count;
  }

  function socketOnMessage(message: Buffer, from: RemoteInfo): void {
    if (closed) return;
    received += 1;
    if (message.length > MAX_DATAGRAM_BYTES) {
      reject(ErrorCode.TELEMETRY_MALFORMED, `malformed telemetry datagram: larger than ${MAX_DATAGRAM_BYTES} bytes`, from, undefined);
      return;
    }
    const now = Date.now();
    const text = message.toString('utf8');
    // Before the MAC and the parse, so that a replay flood costs little: a sequence number
    // older than the device's window is refused whatever the rest of the datagram holds,
    // and one already accepted, while acks to duplicates are spent for now, would be
    // neither stored nor acked, so it is counted as a duplicate at once.
    const position = tracks.size > 0 ? peekTelemetry(text) : undefined;
    const known = position === undefined ? undefined : tracks.get(position.device);
    if (position !== undefined && known !== undefined) {
      const seen = known.judgeSeq(position.boot, position.seq);
      if (seen === 'too_old') {
        known.received += 1;
        reject(ErrorCode.TELEMETRY_REPLAY, `replayed telemetry datagram: seq ${position.seq} is older than the last ${policy.windowSize} sequence numbers`, from, known);
        return;
      }
      if (seen === 'duplicate' && !known.resendAcks.has(now)) {
        known.received += 1;
        known.duplicates += 1;
        return;
      }
    }
    const inspection = inspectTelemetry(text, macFor);
    if (!inspection.ok) {
      // Only configured devices have keys, so a bad MAC always names a device to track.
      const blamed = inspection.device === undefined ? undefined : trackFor(inspection.device, now);
      if (typeof blamed === 'object') blamed.received += 1;
      reject(inspection.code, inspection.reason, from, typeof blamed === 'object' ? blamed : undefined);
      return;
    }
    const { message: datagram, authenticated } = inspection;
    const track = trackFor(datagram.device, now);
    if (typeof track === 'string') {
      reject(ErrorCode.UNKNOWN_DEVICE, track, from, undefined);
      return;
    }
    track.received += 1;
    const boot = track.judgeBoot(datagram, authenticated, now, policy);
    if ('replay' in boot) {
      reject(ErrorCode.TELEMETRY_REPLAY, `replayed telemetry datagram (seq ${datagram.seq}): ${boot.replay}`, from, track);
      return;
    }
    const verdict = boot.boot ? boot.boot.window.judge(datagram.seq) : 'new';
    if (verdict === 'too_old') {
      reject(ErrorCode.TELEMETRY_REPLAY, `replayed telemetry datagram: seq ${datagram.seq} is older than the last ${policy.windowSize} sequence numbers`, from, track);
      return;
    }
    if (verdict === 'duplicate') {
      track.duplicates += 1;
      if (datagram.ack === true && track.resendAcks.take(now)) {
        const window = (boot.boot as BootState).window;
        writer.afterCommit({ track, boot: datagram.boot, seq: datagram.seq, address: from.address, port: from.port, window, original: false });
      }
      return;
    }
    const rowCount = readingCount(datagram);
    if (!writer.hasRoom(rowCount)) {
      writer.drop(rowCount);
      return;
    }
    // Every check passed: only now is the rate budget spent and the number recorded.
    if (!track.bucket.take(now)) {
      reject(ErrorCode.RATE_LIMITED, `more than ${maxPerSecond} datagrams per second (telemetry.maxPerDevicePerSecond)`, from, track);
      return;
    }
    const state = boot.boot ?? track.openBoot(datagram.boot, policy);
    state.window.observe(datagram.seq);
    track.noteAccepted(datagram, state, now);
    accept(datagram, track, state.window, from, now);
  }

  socket.on('message', socketOnMessage);

  function stats(): TelemetryStats;
  function stats(deviceId: string): TelemetryStats | undefined;
  function stats(deviceId?: string): TelemetryStats | undefined {
    const now = Date.now();
    if (deviceId !== undefined) return tracks.get(deviceId)?.stats(now);
    const total: TelemetryStats = { received, accepted: 0, duplicates: 0, lost: 0, rejected: { ...unattributed }, ratePerSecond: 0, lastSeen: null };
    for (const track of tracks.values()) {
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

  return {
    stats,
    get writer() {
      return writer.counters;
    },
    receiveBufferBytes,
    flush: () => writer.flush(),
    async close() {
      if (closed) return;
      closed = true;
      socket.off('message', socketOnMessage);
      reporter.close();
      await writer.close();
    },
  };
}
