/**
 * UDP telemetry from the device (docs/protocol.md#telemetry): every `intervalMs` one
 * datagram with the configured readings, the device id, the boot id and a sequence
 * number; signed with HMAC-SHA256 when a key is set. With acks on, each datagram is kept
 * until the receiver acknowledges it and resent (same sequence number, same bytes) until
 * then; the buffer is bounded and the oldest datagram is dropped when it is full.
 *
 * Bounds: by default the buffer holds 5 s of readings (at least 64), so a fast device
 * rides out a hub restart or a flood that drops a share of its datagrams; a datagram is
 * resent after one interval, but never sooner than 500 ms, because a hub acks only once
 * the reading is stored (about 50 ms after it arrives), and resending sooner only doubles
 * the traffic.
 *
 * Sending never waits on the network, so a slow or absent receiver cannot hold up the
 * control connections.
 */
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { encodeTelemetry, parseTelemetryAck } from '@picolink/protocol';
import type { MacLookup, TelemetryDatagram, TextSigner } from '@picolink/protocol';
import { hmacSigner, RateLimitedLog, silentLog, udpTypeFor } from '@picolink/net';
import type { LogSink } from '@picolink/net';
import { parseSensors, readSensors } from './sensors.js';
import type { Sensor, SensorSource } from './sensors.js';

export interface TelemetryOptions {
  /** Receiver's host name or address. */
  host: string;
  /** Receiver's UDP port. */
  port: number;
  /** Device id put in the datagrams. Default: the device's id. */
  deviceId?: string;
  /** Time between readings, in ms. Default 5000. */
  intervalMs?: number;
  /** Readings to send: "temp_c", "adc0"-"adc3", "pinN". Default ["temp_c"]. */
  sensors?: string[];
  /**
   * HMAC-SHA256 key shared with the receiver. A string of 32 or more hex digits (even
   * count) is taken as hex bytes, any other string as its UTF-8 bytes. Default: unsigned.
   */
  key?: string | Uint8Array;
  /** Ask the receiver to acknowledge each datagram, and resend until it does. Default false. */
  ack?: boolean;
  /** Most unacknowledged datagrams kept for resending; beyond it the oldest is dropped. Default: 5 s of readings (5000 / intervalMs), at least 64. */
  maxUnacked?: number;
  /** Resend an unacknowledged datagram once it has waited this long, in ms. Default: intervalMs, at least 500. */
  resendAfterMs?: number;
  /** Receives log lines (send errors, rejected acks), rate-limited. Default: none. */
  log?: LogSink;
}

/** What the sender reads: the device runtime satisfies it. */
export interface TelemetryDevice extends SensorSource {
  readonly deviceId: string;
  readonly bootId: number;
  readonly state: string;
  uptimeMs(): number;
  /** Device clock, Unix ms (set from the hub's welcome when dialing home). Default Date.now. */
  now?(): number;
}

/** Running totals, for status pages and tests. */
export interface TelemetryCounters {
  /** New datagrams sent. */
  sent: number;
  /** Datagrams sent again because no ack had come. */
  resent: number;
  /** Datagrams acknowledged. */
  acked: number;
  /** Unacknowledged datagrams given up because the buffer was full. */
  dropped: number;
}

/** The default buffer holds this long of readings, in ms. */
const DEFAULT_BUFFER_MS = 5000;
const MIN_DEFAULT_UNACKED = 64;
/** Shortest default wait for an ack before resending, in ms. */
const MIN_DEFAULT_RESEND_MS = 500;

interface Unacked {
  text: string;
  sentAt: number;
}

export class TelemetrySender {
  readonly deviceId: string;
  readonly intervalMs: number;
  private readonly host: string;
  private readonly port: number;
  private readonly sensors: Sensor[];
  private readonly sign: TextSigner | undefined;
  private readonly wantAck: boolean;
  private readonly maxUnacked: number;
  private readonly resendAfterMs: number;
  private readonly log: RateLimitedLog;
  private readonly socket: UdpSocket;
  private readonly pending = new Map<number, Unacked>();
  private readonly totals: TelemetryCounters = { sent: 0, resent: 0, acked: 0, dropped: 0 };
  private timer: NodeJS.Timeout | undefined;
  private boot: number;
  private seq = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly device: TelemetryDevice,
    options: TelemetryOptions,
  ) {
    this.deviceId = options.deviceId ?? device.deviceId;
    this.host = options.host;
    this.port = options.port;
    this.intervalMs = options.intervalMs ?? 5000;
    this.sensors = parseSensors(options.sensors ?? ['temp_c'], device.backend);
    this.sign = options.key === undefined ? undefined : hmacSigner(options.key);
    this.wantAck = options.ack ?? false;
    this.maxUnacked = options.maxUnacked ?? Math.max(MIN_DEFAULT_UNACKED, Math.ceil(DEFAULT_BUFFER_MS / this.intervalMs));
    this.resendAfterMs = options.resendAfterMs ?? Math.max(MIN_DEFAULT_RESEND_MS, this.intervalMs);
    this.log = new RateLimitedLog(options.log ?? silentLog);
    this.boot = device.bootId;
    this.socket = createSocket(udpTypeFor(this.host));
    this.socket.on('message', this.socketOnMessage);
    this.socket.on('error', this.socketOnError);
  }

  /** Sends the first datagram now, then one every intervalMs. */
  start(): void {
    if (this.timer !== undefined || this.closing) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.tick();
  }

  /** Counters so far (a copy). */
  get counters(): TelemetryCounters {
    return { ...this.totals };
  }

  /** Datagrams waiting for an ack. */
  get unackedCount(): number {
    return this.pending.size;
  }

  /**
   * One period: resend what is overdue for an ack, then send a new datagram. Nothing is
   * sent while the device is not running (asleep or restarting), as on a real board.
   */
  tick(): void {
    if (this.closing || this.device.state !== 'running') return;
    if (this.device.bootId !== this.boot) {
      // A restart: sequence numbers start again and the old buffer is gone, as in RAM.
      this.boot = this.device.bootId;
      this.seq = 0;
      this.pending.clear();
    }
    const now = performance.now();
    for (const entry of this.pending.values()) {
      if (now - entry.sentAt < this.resendAfterMs) continue;
      entry.sentAt = now;
      this.totals.resent += 1;
      this.send(entry.text);
    }
    const readings = readSensors(this.sensors, this.device);
    if (Object.keys(readings).length === 0) return;
    const datagram: TelemetryDatagram = {
      v: 1,
      device: this.deviceId,
      boot: this.boot,
      seq: this.seq,
      t: this.device.uptimeMs(),
      time: this.device.now ? this.device.now() : Date.now(),
      readings,
    };
    if (this.wantAck) datagram.ack = true;
    this.seq += 1;
    const text = encodeTelemetry(datagram, this.sign);
    this.totals.sent += 1;
    this.send(text);
    if (!this.wantAck) return;
    this.pending.set(datagram.seq, { text, sentAt: now });
    if (this.pending.size > this.maxUnacked) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
      this.totals.dropped += 1;
    }
  }

  /** Stops sending and closes the UDP socket. */
  close(): Promise<void> {
    if (!this.closing) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.closing = new Promise((resolve) => this.socket.close(() => resolve()));
    }
    return this.closing;
  }

  private send(text: string): void {
    this.socket.send(text, this.port, this.host, (err) => {
      if (err) this.log.limited('telemetry-send', `telemetry to ${this.host}:${this.port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
    });
  }

  private readonly socketOnMessage = (message: Buffer, from: RemoteInfo): void => {
    const sign = this.sign;
    const macFor: MacLookup | undefined = sign ? (device, text) => (device === this.deviceId ? sign(text) : undefined) : undefined;
    try {
      const { message: ack } = parseTelemetryAck(message.toString('utf8'), macFor);
      if (ack.device !== this.deviceId || ack.boot !== this.boot) return;
      if (this.pending.delete(ack.ack)) this.totals.acked += 1;
    } catch (err) {
      this.log.limited('telemetry-ack', `telemetry ack from ${from.address}:${from.port} ignored: ${(err as Error).message}`);
    }
  };

  private readonly socketOnError = (err: Error): void => {
    this.log.limited('telemetry-socket', `telemetry socket: ${err.message}`);
  };
}
