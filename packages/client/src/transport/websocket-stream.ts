/**
 * A WebSocket seen as the byte stream a {@link Connection} reads and writes: every write
 * (one protocol frame) goes out as one text message; every message received is pushed
 * as its text, with the terminating newline added when the sender left it out, so the
 * line decoder sees the same bytes as over TCP.
 */
import { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';

const NEWLINE = 0x0a;

export class WebSocketLineStream extends Duplex {
  private paused = false;

  constructor(private readonly ws: WebSocket) {
    super({ allowHalfOpen: false });
    ws.on('message', (data, isBinary) => this.wsOnMessage(data, isBinary));
    ws.on('close', () => this.wsOnClose());
    ws.on('error', (err) => this.destroy(err));
  }

  override _read(): void {
    if (!this.paused) return;
    this.paused = false;
    this.ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      callback(new Error('the WebSocket is closed'));
      return;
    }
    this.ws.send(chunk.toString('utf8'), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    // A normal close: the peer answers with its own close frame and 'close' follows.
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
    callback();
  }

  override _destroy(err: Error | null, callback: (err: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.CLOSED) this.ws.terminate();
    callback(err);
  }

  private wsOnMessage(data: RawData, _isBinary: boolean): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const line = bytes.length > 0 && bytes[bytes.length - 1] === NEWLINE ? bytes : Buffer.concat([bytes, Buffer.from('\n')]);
    if (!this.push(line) && !this.paused) {
      // Backpressure: stop reading the socket until the consumer asks for more.
      this.paused = true;
      this.ws.pause();
    }
  }

  private wsOnClose(): void {
    this.push(null);
    this.destroy();
  }
}
