/**
 * A UDP session's socket: bound to a local port, sends to any host:port (or the session's
 * default destination), and every datagram received is one log entry with its source.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { bindUdp, hostPort } from '@picolink/net';
import type { SendTarget, Transport, TransportEvents } from './transport.js';

export class UdpTransport implements Transport {
  private socket: UdpSocket | undefined;
  localPort: number | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly events: TransportEvents,
  ) {}

  async start(): Promise<void> {
    const socket = await bindUdp(this.host, this.localPort ?? this.port);
    this.socket = socket;
    this.localPort = socket.address().port;
    socket.on('message', (message, rinfo) => this.events.data(message, hostPort(rinfo.address, rinfo.port), undefined));
    // Errors of one send (ICMP unreachable, EMSGSIZE) do not end the socket.
    socket.on('error', (err) => this.events.info(`udp error: ${err.message}`));
  }

  send(bytes: Uint8Array, target: SendTarget): string[] {
    const socket = this.socket;
    if (!socket) throw new PicolinkError(ErrorCode.CONNECTION_CLOSED, 'this UDP session is stopped; press Start (POST …/start) first');
    const to = target.to;
    if (!to) throw new PicolinkError(ErrorCode.MISSING_FIELD, 'a UDP send needs "to" ("host:port"), or a session opened with host and port');
    const address = hostPort(to.host, to.port);
    socket.send(bytes, to.port, to.host, (err) => {
      if (err) this.events.info(`send to ${address} failed: ${err.message}`);
    });
    return [address];
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
