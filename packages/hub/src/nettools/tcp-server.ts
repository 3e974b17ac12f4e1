/**
 * A TCP server session's listener (sketchWiFi's server mode): every connected peer gets
 * an id ("p1", "p2", …) so a send can go to one of them or to all. At most
 * {@link MAX_PEERS} peers at once; more are closed as they arrive.
 */
import type { Server, Socket } from 'node:net';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { hostPort, listenTcp } from '@picolink/net';
import { MAX_QUEUED_SEND_BYTES, PauseTimers } from './transport.js';
import type { SendTarget, Transport, TransportEvents } from './transport.js';
import type { PeerInfo } from '@picolink/nettools/core';

/** Peers one server session keeps at once. */
export const MAX_PEERS = 64;

interface Peer {
  id: string;
  address: string;
  socket: Socket;
}

export class TcpServerTransport implements Transport {
  private server: Server | undefined;
  private readonly connected = new Map<string, Peer>();
  private nextPeer = 1;
  private readonly pauses = new PauseTimers();
  localPort: number | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly events: TransportEvents,
  ) {}

  get peers(): PeerInfo[] {
    return [...this.connected.values()].map((peer) => ({ id: peer.id, address: peer.address }));
  }

  async start(): Promise<void> {
    // Port 0 means "any free port" once; listening again reuses the port it got, so a Pico's code keeps working.
    const server = await listenTcp(this.host, this.localPort ?? this.port);
    this.server = server;
    this.localPort = (server.address() as { port: number }).port;
    server.on('connection', (socket) => this.serverOnConnection(socket));
    server.on('error', (err) => this.events.info(`listener error: ${err.message}`));
  }

  private serverOnConnection(socket: Socket): void {
    const address = hostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    if (this.connected.size >= MAX_PEERS) {
      this.events.info(`peer from ${address} refused: ${MAX_PEERS} peers are connected already`);
      socket.destroy();
      return;
    }
    const peer: Peer = { id: `p${this.nextPeer++}`, address, socket };
    this.connected.set(peer.id, peer);
    socket.setNoDelay(true);
    this.events.info(`peer ${peer.id} connected from ${address}`);
    this.events.peersChanged();
    socket.on('data', (chunk: Buffer) =>
      this.events.data(chunk, address, peer.id, (ms) => this.pauses.pause(socket, ms)),
    );
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.connected.get(peer.id) !== peer) return;
      this.connected.delete(peer.id);
      this.events.info(`peer ${peer.id} disconnected`);
      this.events.peersChanged();
    });
  }

  send(bytes: Uint8Array, target: SendTarget): string[] {
    const wanted = target.peer ?? 'all';
    let peers: Peer[];
    if (wanted === 'all') {
      peers = [...this.connected.values()];
      if (!this.server || peers.length === 0) throw new PicolinkError(ErrorCode.CONNECTION_CLOSED, 'no peer is connected to this server session; connect one first');
    } else {
      const peer = this.connected.get(wanted);
      if (!peer) throw new PicolinkError(ErrorCode.NOT_FOUND, `no peer "${wanted}" is connected; the peers are ${this.peers.map((p) => p.id).join(', ') || '(none)'}`);
      peers = [peer];
    }
    const stuck = peers.find((peer) => peer.socket.writableLength > MAX_QUEUED_SEND_BYTES);
    if (stuck) throw new PicolinkError(ErrorCode.BUSY, `peer ${stuck.id} (${stuck.address}) is not reading: ${stuck.socket.writableLength} bytes are waiting; try again later`);
    for (const peer of peers) peer.socket.write(bytes);
    return peers.map((peer) => peer.address);
  }

  async stop(): Promise<void> {
    this.pauses.clear();
    const server = this.server;
    this.server = undefined;
    const peers = [...this.connected.values()];
    this.connected.clear();
    for (const peer of peers) peer.socket.destroy();
    if (peers.length > 0) this.events.peersChanged();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
