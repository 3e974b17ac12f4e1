/**
 * The state of every pin as the protocol sees it (docs/protocol.md#pins): its mode, the
 * level it drives, which connection controls it, its safe value, a pending lease and the
 * connections watching it. All protocol rules about pins live here; the backend only
 * does what it is told.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { ChangeCause, PinChangeEvent, PinId } from '@picolink/protocol';
import type { GpioBackend, Level, Pull } from '../gpio/backend.js';
import { describePins } from './describe-pins.js';
import { PinLease } from './lease.js';
import { PinWatch } from './watch.js';
import type { Edge, PinWatcher } from './watch.js';

/** Identifies the connection that controls a pin (its session id). */
export type OwnerId = number;

export type PinMode = 'unset' | 'input' | 'output' | 'pwm';

export interface PinSetup {
  mode: 'input' | 'output';
  pull: Pull;
  /** Outputs: initial level; absent leaves the level as it was (0 on a fresh pin). */
  value?: Level;
  /** Outputs: level applied when the owner's connection closes. */
  safe?: Level;
  /**
   * Outputs with `safe`: after the owner's connection closes, keep the level this long
   * before applying `safe`, unless a new owner takes the pin meanwhile, in ms. Default 0 (at once).
   */
  safeAfterMs?: number;
}

export interface WriteOutcome {
  previous: Level;
  /** Leases only: level restored when the lease ends. */
  revertsTo?: Level;
  /** Leases only: lease length in ms. */
  leaseMs?: number;
}

/** A read-only view of one pin, for get_info, the dashboard and tests. */
export interface PinSnapshot {
  pin: PinId;
  mode: PinMode;
  level: Level;
  owner?: OwnerId;
  safe?: Level;
  /** Set when the pin has a failsafe grace (setup_pin safe_after_ms), in ms. */
  safeAfterMs?: number;
  /** True while the owner is gone and the safe value waits for its grace to end. */
  failsafePending?: boolean;
  lease?: { revertsTo: Level; remainingMs: number };
  watchers: number;
}

/** `level` is the level driven when the pin is an output (kept while it is not, as the hardware does). */
interface PinSlot extends Pick<PinSnapshot, 'pin' | 'mode' | 'level' | 'owner' | 'safe' | 'safeAfterMs'> {
  /** The owner is gone and the grace (safeAfterMs) runs: applies the safe value when it fires. */
  failsafeTimer?: NodeJS.Timeout;
  lease?: PinLease;
  watches: Map<PinWatcher, PinWatch>;
}

export interface PinRegistryOptions {
  /** Device clock: ms since the device started, for the `t` of events. */
  uptimeMs: () => number;
  /** Device clock, Unix ms, for the `time` of events. Default Date.now. */
  now?: () => number;
}

export class PinRegistry {
  private readonly slots = new Map<PinId, PinSlot>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly backend: GpioBackend,
    private readonly options: PinRegistryOptions,
  ) {
    for (const pin of backend.pins) this.slots.set(pin, freshSlot(pin));
    this.unsubscribe = backend.onInputChange((pin, level) => this.inputChanged(pin, level));
  }

  /** Configures a pin; returns its level afterwards. */
  setup(pin: PinId, setup: PinSetup, owner: OwnerId): Level {
    const slot = this.slot(pin);
    if (setup.mode === 'input') {
      if (!this.backend.capabilities(pin)?.input) {
        throw new PicolinkError(ErrorCode.PIN_MODE, `pin ${String(pin)} is output only; set it up with mode "output"`);
      }
      if (setup.safe !== undefined) {
        throw new PicolinkError(ErrorCode.FIELD_CONFLICT, `"safe" applies to outputs only; pin ${String(pin)} is being set up as an input`);
      }
    }
    this.endLease(slot);
    this.takeOwnership(slot, owner);
    if (setup.mode === 'input') {
      this.backend.configureInput(pin, setup.pull);
      slot.mode = 'input';
      delete slot.safe;
      delete slot.safeAfterMs;
      const level = this.backend.read(pin);
      this.notify(slot, level, 'setup');
      return level;
    }
    const level = setup.value ?? slot.level;
    this.backend.configureOutput(pin, level);
    slot.mode = 'output';
    slot.level = level;
    if (setup.safe === undefined) delete slot.safe;
    else slot.safe = setup.safe;
    if (setup.safe === undefined || !setup.safeAfterMs) delete slot.safeAfterMs;
    else slot.safeAfterMs = setup.safeAfterMs;
    this.notify(slot, level, 'setup');
    return level;
  }

  /** Drives an output, for good (`leaseMs` 0) or as a lease that reverts after `leaseMs`. */
  write(pin: PinId, value: Level, leaseMs: number, owner: OwnerId): WriteOutcome {
    const slot = this.slot(pin);
    this.requireGpio(slot);
    if (slot.mode === 'input') {
      throw new PicolinkError(ErrorCode.PIN_MODE, `pin ${String(pin)} is an input; set it up with mode "output" to drive it`);
    }
    const previous = slot.level;
    const outcome: WriteOutcome = { previous };
    if (leaseMs > 0) {
      if (slot.lease) {
        slot.lease.renew(leaseMs);
      } else {
        const lease = new PinLease(previous, leaseMs, () => this.leaseEnded(slot, lease));
        slot.lease = lease;
      }
      outcome.revertsTo = slot.lease.revertsTo;
      outcome.leaseMs = leaseMs;
    } else {
      this.endLease(slot);
    }
    this.takeOwnership(slot, owner);
    this.drive(slot, value, 'write');
    return outcome;
  }

  /** Level of a set-up pin: what an input sees, or what an output drives. */
  read(pin: PinId): Level {
    const slot = this.slot(pin);
    this.requireGpio(slot);
    return slot.mode === 'input' ? this.backend.read(pin) : slot.level;
  }

  /** Switches a pin to PWM; returns the 16-bit duty written. */
  setPwm(pin: PinId, freqHz: number, duty: number): number {
    const slot = this.slot(pin);
    if (!this.backend.capabilities(pin)?.pwm) {
      throw new PicolinkError(ErrorCode.PIN_MODE, `pin ${String(pin)} cannot do PWM; use a GPIO pin`);
    }
    const dutyU16 = Math.round(duty * 65535);
    this.endLease(slot);
    this.backend.setPwm(pin, freqHz, dutyU16);
    slot.mode = 'pwm';
    return dutyU16;
  }

  /** Starts (or replaces) `watcher`'s watch on a set-up pin; returns the level now. */
  watch(pin: PinId, watcher: PinWatcher, edge: Edge, debounceMs: number): Level {
    const slot = this.slot(pin);
    this.requireGpio(slot);
    slot.watches.get(watcher)?.cancel();
    const level = this.read(pin);
    const readLevel = (): Level => (slot.mode === 'input' ? this.backend.read(pin) : slot.level);
    slot.watches.set(watcher, new PinWatch(pin, watcher, edge, debounceMs, level, readLevel, this.stamp));
    return level;
  }

  /** Stops `watcher`'s watch on a pin, if any. */
  unwatch(pin: PinId, watcher: PinWatcher): void {
    const slot = this.slot(pin);
    slot.watches.get(watcher)?.cancel();
    slot.watches.delete(watcher);
  }

  /** Stops every watch of `watcher` (its connection closed). */
  unwatchAll(watcher: PinWatcher): void {
    for (const slot of this.slots.values()) {
      slot.watches.get(watcher)?.cancel();
      slot.watches.delete(watcher);
    }
  }

  /**
   * The owner's connection is gone: every output it controls that has a safe value goes
   * to that value at once (a pending lease is dropped), and nobody owns its pins any more.
   * PWM pins set up with a safe value count as outputs: a motor must stop too. A pin set
   * up with `safeAfterMs` keeps its level that long first; a setup or write by a new
   * owner meanwhile cancels its failsafe.
   */
  releaseOwner(owner: OwnerId): void {
    for (const slot of this.slots.values()) {
      if (slot.owner !== owner) continue;
      delete slot.owner;
      if (!hasFailsafe(slot)) continue;
      if (slot.safeAfterMs) {
        clearTimeout(slot.failsafeTimer);
        slot.failsafeTimer = setTimeout(() => this.failsafeGraceEnded(slot), slot.safeAfterMs);
      } else {
        this.applySafe(slot);
      }
    }
  }

  /** True when `owner` controls an output that goes to a safe value when it is lost. */
  ownsFailsafeOutputs(owner: OwnerId): boolean {
    for (const slot of this.slots.values()) if (slot.owner === owner && hasFailsafe(slot)) return true;
    return false;
  }

  /** Level of a pin for telemetry, or undefined when it is not set up as GPIO. */
  peek(pin: PinId): Level | undefined {
    const slot = this.slots.get(pin);
    if (!slot || slot.mode === 'unset' || slot.mode === 'pwm') return undefined;
    return slot.mode === 'input' ? this.backend.read(pin) : slot.level;
  }

  /** A view of one pin's state. */
  snapshot(pin: PinId): PinSnapshot {
    const slot = this.slot(pin);
    const view: PinSnapshot = { pin, mode: slot.mode, level: slot.level, watchers: slot.watches.size };
    if (slot.owner !== undefined) view.owner = slot.owner;
    if (slot.safe !== undefined) view.safe = slot.safe;
    if (slot.safeAfterMs !== undefined) view.safeAfterMs = slot.safeAfterMs;
    if (slot.failsafeTimer !== undefined) view.failsafePending = true;
    if (slot.lease) view.lease = { revertsTo: slot.lease.revertsTo, remainingMs: slot.lease.remainingMs };
    return view;
  }

  /** Back to power-on state: every pin unconfigured, no lease, no watch (a restart). */
  reset(): void {
    this.stopTimers();
    for (const pin of this.slots.keys()) this.slots.set(pin, freshSlot(pin));
    this.backend.reset();
  }

  /** Stops every timer and stops listening to the backend. */
  close(): void {
    this.stopTimers();
    this.unsubscribe();
  }

  private readonly stamp = (pin: PinId, value: Level, cause: ChangeCause): PinChangeEvent => ({
    event: 'pin_change',
    pin,
    value,
    cause,
    t: Math.floor(this.options.uptimeMs()),
    time: this.options.now ? this.options.now() : Date.now(),
  });

  private slot(pin: PinId): PinSlot {
    const slot = this.slots.get(pin);
    if (!slot) {
      throw new PicolinkError(ErrorCode.NO_SUCH_PIN, `pin ${String(pin)} does not exist on ${this.backend.board}; use ${describePins(this.backend.pins)}`);
    }
    return slot;
  }

  /** Reads, writes and watches need a pin set up as GPIO. */
  private requireGpio(slot: PinSlot): void {
    if (slot.mode === 'unset') {
      throw new PicolinkError(ErrorCode.PIN_NOT_SETUP, `pin ${String(slot.pin)} is not set up; send setup_pin first`);
    }
    if (slot.mode === 'pwm') {
      throw new PicolinkError(ErrorCode.PIN_MODE, `pin ${String(slot.pin)} is driven by PWM; send setup_pin to use it as GPIO`);
    }
  }

  private drive(slot: PinSlot, level: Level, cause: ChangeCause): void {
    // Always write, even an unchanged level: the hardware may have been disturbed.
    this.backend.write(slot.pin, level);
    slot.level = level;
    this.notify(slot, level, cause);
  }

  /** A setup or write: the pin has an owner again, so a failsafe waiting for its grace is off. */
  private takeOwnership(slot: PinSlot, owner: OwnerId): void {
    clearTimeout(slot.failsafeTimer);
    delete slot.failsafeTimer;
    slot.owner = owner;
  }

  private failsafeGraceEnded(slot: PinSlot): void {
    delete slot.failsafeTimer;
    if (slot.owner === undefined && hasFailsafe(slot)) this.applySafe(slot);
  }

  private applySafe(slot: PinSlot): void {
    const safe = slot.safe;
    if (safe === undefined) return;
    this.endLease(slot);
    if (slot.mode === 'pwm') {
      this.backend.configureOutput(slot.pin, safe);
      slot.mode = 'output';
      slot.level = safe;
      this.notify(slot, safe, 'failsafe');
    } else {
      this.drive(slot, safe, 'failsafe');
    }
  }

  private leaseEnded(slot: PinSlot, lease: PinLease): void {
    if (slot.lease !== lease) return;
    delete slot.lease;
    this.drive(slot, lease.revertsTo, 'lease');
  }

  private endLease(slot: PinSlot): void {
    slot.lease?.cancel();
    delete slot.lease;
  }

  private notify(slot: PinSlot, level: Level, cause: ChangeCause): void {
    for (const watch of [...slot.watches.values()]) watch.deviceChanged(level, cause);
  }

  private inputChanged(pin: PinId, level: Level): void {
    const slot = this.slots.get(pin);
    if (!slot || slot.mode !== 'input') return;
    for (const watch of [...slot.watches.values()]) watch.inputChanged(level);
  }

  private stopTimers(): void {
    for (const slot of this.slots.values()) {
      this.endLease(slot);
      clearTimeout(slot.failsafeTimer);
      delete slot.failsafeTimer;
      for (const watch of slot.watches.values()) watch.cancel();
      slot.watches.clear();
    }
  }
}

/** An output (or a PWM pin set up as one) with a safe value. */
function hasFailsafe(slot: PinSlot): boolean {
  return slot.safe !== undefined && (slot.mode === 'output' || slot.mode === 'pwm');
}

function freshSlot(pin: PinId): PinSlot {
  return { pin, mode: 'unset', level: 0, watches: new Map() };
}
