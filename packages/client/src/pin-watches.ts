/**
 * pin_change subscriptions of one connection. The device keeps one watch per pin and
 * connection, so several callbacks on the same pin share it: the device is asked for the
 * union of their edges, and each callback gets only the edges it asked for.
 */
import type { PinId } from '@picolink/protocol';
import type { PinChange } from './wire-names.js';

export type Edge = 'rising' | 'falling' | 'both';
export type PinChangeCallback = (event: PinChange) => void;

/** Sends watch_pin / unwatch_pin for a pin. */
export interface WatchRequests {
  watch(pin: PinId, edge: Edge, debounceMs: number): Promise<void>;
  unwatch(pin: PinId): Promise<void>;
}

interface Subscription {
  callback: PinChangeCallback;
  edge: Edge;
}

interface PinSubscriptions {
  pin: PinId;
  subscriptions: Set<Subscription>;
  debounceMs: number;
  edge: Edge;
}

export class PinWatches {
  private readonly pins = new Map<string, PinSubscriptions>();

  constructor(private readonly requests: WatchRequests) {}

  /** Starts delivering the pin's changes to `callback`; resolves with the function that stops it. */
  async add(pin: PinId, callback: PinChangeCallback, edge: Edge, debounceMs: number): Promise<() => Promise<void>> {
    const key = String(pin);
    const existing = this.pins.get(key);
    const subscription: Subscription = { callback, edge };
    const wanted = unionEdge([...(existing?.subscriptions ?? []), subscription]);
    await this.requests.watch(pin, wanted, debounceMs);
    const entry = this.pins.get(key) ?? { pin, subscriptions: new Set<Subscription>(), debounceMs, edge: wanted };
    entry.subscriptions.add(subscription);
    entry.debounceMs = debounceMs;
    entry.edge = wanted;
    this.pins.set(key, entry);
    return () => this.remove(pin, subscription);
  }

  /** The watch each watched pin needs from the device (to ask for them again after a reconnect). */
  active(): Array<{ pin: PinId; edge: Edge; debounceMs: number }> {
    return [...this.pins.values()].map(({ pin, edge, debounceMs }) => ({ pin, edge, debounceMs }));
  }

  /** Hands a pin change to the callbacks watching that pin and edge. */
  dispatch(event: PinChange): void {
    const entry = this.pins.get(String(event.pin));
    if (!entry) return;
    for (const subscription of [...entry.subscriptions]) {
      if (matchesEdge(subscription.edge, event.value)) subscription.callback(event);
    }
  }

  private async remove(pin: PinId, subscription: Subscription): Promise<void> {
    const key = String(pin);
    const entry = this.pins.get(key);
    if (!entry || !entry.subscriptions.delete(subscription)) return;
    if (entry.subscriptions.size === 0) {
      this.pins.delete(key);
      await this.requests.unwatch(pin);
      return;
    }
    const wanted = unionEdge([...entry.subscriptions]);
    if (wanted !== entry.edge) {
      entry.edge = wanted;
      await this.requests.watch(pin, wanted, entry.debounceMs);
    }
  }
}

function unionEdge(subscriptions: Subscription[]): Edge {
  const edges = new Set(subscriptions.map((s) => s.edge));
  if (edges.size === 1) return subscriptions[0]?.edge ?? 'both';
  return 'both';
}

function matchesEdge(edge: Edge, value: number): boolean {
  if (edge === 'both') return true;
  return edge === 'rising' ? value === 1 : value === 0;
}
