/**
 * The pin levels the bridge publishes on `…/pin/<pin>/state`, kept so that they can be
 * published again after every (re)connect to the broker (a restarted broker has lost its
 * retained messages). Levels come from `pin_change` events and from the answers to
 * successful write_pin and setup_pin commands; a lease's end is published when the lease
 * runs out (the device reverts the pin itself; a watched pin's `pin_change` confirms it).
 */
import type { PinId } from '@picolink/protocol';
import type { CommandAnswer } from '../bus.js';
import type { HubEventRecord, OutputState } from '../store/store.js';

export interface PinLevel {
  deviceId: string;
  pin: PinId;
  value: 0 | 1;
}

/** Longest lease end the bridge waits for (setTimeout's own limit, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function isPin(pin: unknown): pin is PinId {
  return (typeof pin === 'number' && Number.isInteger(pin) && pin >= 0 && pin <= 63) || pin === 'LED';
}

function isLevel(value: unknown): value is 0 | 1 {
  return value === 0 || value === 1;
}

export class PinStates {
  private readonly levels = new Map<string, Map<PinId, 0 | 1>>();
  /** Per "device pin", the timer that publishes the end of a lease. */
  private readonly leaseEnds = new Map<string, NodeJS.Timeout>();

  /** @param onChange called with every level set, at once or when a lease ends */
  constructor(private readonly onChange: (level: PinLevel) => void) {}

  /** Every level known, for republishing. */
  all(): PinLevel[] {
    const list: PinLevel[] = [];
    for (const [deviceId, pins] of this.levels) for (const [pin, value] of pins) list.push({ deviceId, pin, value });
    return list;
  }

  /** Lasting output levels the hub remembers (store), without publishing them. */
  seed(states: readonly OutputState[]): void {
    for (const state of states) {
      if (isLevel(state.value) && !this.levels.get(state.deviceId)?.has(state.pin)) this.remember(state.deviceId, state.pin, state.value);
    }
  }

  fromEvent(event: HubEventRecord): void {
    if (event.type !== 'pin_change') return;
    const { pin, value } = event.data;
    if (isPin(pin) && isLevel(value)) this.set(event.deviceId, pin, value);
  }

  fromAnswer(answer: CommandAnswer): void {
    const { request, response, deviceId } = answer;
    const { pin, value } = request;
    if (!isPin(pin)) return;
    if (request.action === 'setup_pin' && request.mode === 'output' && isLevel(value)) this.set(deviceId, pin, value);
    if (request.action !== 'write_pin' || !isLevel(value)) return;
    this.set(deviceId, pin, value);
    const { lease_ms: leaseMs, reverts_to: revertsTo } = response;
    if (typeof leaseMs === 'number' && leaseMs > 0 && leaseMs <= MAX_TIMER_MS && isLevel(revertsTo)) {
      const key = `${deviceId} ${String(pin)}`;
      const timer = setTimeout(() => {
        this.leaseEnds.delete(key);
        this.set(deviceId, pin, revertsTo);
      }, leaseMs);
      timer.unref();
      this.leaseEnds.set(key, timer);
    }
  }

  close(): void {
    for (const timer of this.leaseEnds.values()) clearTimeout(timer);
    this.leaseEnds.clear();
  }

  private set(deviceId: string, pin: PinId, value: 0 | 1): void {
    // A newer level replaces a pending lease end.
    const key = `${deviceId} ${String(pin)}`;
    clearTimeout(this.leaseEnds.get(key));
    this.leaseEnds.delete(key);
    this.remember(deviceId, pin, value);
    this.onChange({ deviceId, pin, value });
  }

  private remember(deviceId: string, pin: PinId, value: 0 | 1): void {
    let pins = this.levels.get(deviceId);
    if (!pins) this.levels.set(deviceId, (pins = new Map()));
    pins.set(pin, value);
  }
}
