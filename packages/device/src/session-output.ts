/**
 * The sending side of a connection: responses are queued while a chunk is handled and
 * leave in one write; reading pauses while the peer is not taking its output (or the
 * device is busy); a peer whose unsent output passes the bound is dropped.
 */
import type { Socket } from 'node:net';

export class SessionOutput {
  private queued: string[] = [];
  private paused = false;
  private busy = false;

  /**
   * @param maxOutputBytes unsent bytes beyond which the socket is destroyed
   * @param onOverflow told the unsent byte count just before the socket is destroyed
   */
  constructor(
    private readonly socket: Socket,
    private readonly maxOutputBytes: number,
    private readonly onOverflow: (unsentBytes: number) => void,
  ) {
    socket.on('drain', this.socketOnDrain);
  }

  /** Adds a frame to the next write. */
  queue(text: string): void {
    this.queued.push(text);
  }

  /** Writes everything queued, in one write. */
  flush(): void {
    if (this.queued.length === 0) return;
    const text = this.queued.length === 1 ? (this.queued[0] ?? '') : this.queued.join('');
    this.queued = [];
    this.write(text);
  }

  /** Writes at once (nothing is being batched). */
  write(text: string): void {
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return;
    socket.write(text);
    if (socket.writableLength > this.maxOutputBytes) {
      this.onOverflow(socket.writableLength);
      socket.destroy();
      return;
    }
    this.updateFlow();
  }

  /** While the device is busy (asleep, writing files), reading pauses so input stays bounded. */
  setBusy(busy: boolean): void {
    this.busy = busy;
    this.updateFlow();
  }

  /** Drops anything queued and reads again, so the peer's FIN is seen while closing. */
  release(): void {
    this.queued = [];
    this.busy = false;
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private readonly socketOnDrain = (): void => {
    this.updateFlow();
  };

  private updateFlow(): void {
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return;
    const hold = this.busy || socket.writableNeedDrain;
    if (hold && !this.paused) {
      this.paused = true;
      socket.pause();
    } else if (!hold && this.paused) {
      this.paused = false;
      socket.resume();
    }
  }
}
