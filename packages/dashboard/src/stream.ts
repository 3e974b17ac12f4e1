/**
 * One WebSocket to GET /api/stream shared by the whole page (the session cookie
 * authenticates it), reopened with backoff when it drops. Listeners get every message.
 * The network tools page opens a second one, to /api/nettools/stream, the same way.
 *
 * Bounds: reconnect delay 0.5 s doubling to 10 s.
 */
import type { StreamMessage } from './types.js';

type Listener<M> = (message: M) => void;
type StateListener = (connected: boolean) => void;

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

export class LiveStream<M = StreamMessage> {
  private socket: WebSocket | null = null;
  private readonly listeners = new Set<Listener<M>>();
  private readonly stateListeners = new Set<StateListener>();
  private delayMs = MIN_DELAY_MS;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  connected = false;

  private readonly path: string;

  constructor(path = '/api/stream') {
    this.path = path;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close();
    this.socket = null;
  }

  subscribe(listener: Listener<M>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setConnected(connected: boolean): void {
    this.connected = connected;
    for (const listener of this.stateListeners) listener(connected);
  }

  private open(): void {
    const url = new URL(this.path, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.delayMs = MIN_DELAY_MS;
      this.setConnected(true);
    };
    socket.onmessage = (message: MessageEvent<string>) => {
      let parsed: M;
      try {
        parsed = JSON.parse(message.data) as M;
      } catch {
        return;
      }
      for (const listener of this.listeners) listener(parsed);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setConnected(false);
      if (this.stopped) return;
      this.timer = setTimeout(() => this.open(), this.delayMs);
      this.delayMs = Math.min(MAX_DELAY_MS, this.delayMs * 2);
    };
  }
}

/** The page's one stream. */
export const liveStream = new LiveStream();
