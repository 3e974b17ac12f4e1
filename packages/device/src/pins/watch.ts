/**
 * One connection's watch on one pin (docs/protocol.md#watch_pin). Inputs are debounced:
 * a new level is reported only after it has held for `debounceMs`, so a bouncing button
 * gives one event per press. Output changes are the device's own doing and are reported
 * at once, with their cause. The edge filter drops the changes the client did not ask for.
 */
import type { ChangeCause, PinChangeEvent, PinId } from '@picolink/protocol';
import type { Level } from '../gpio/backend.js';

export type Edge = 'rising' | 'falling' | 'both';

/** Receives the pin_change events of its watches (a connection). */
export interface PinWatcher {
  deliverPinChange(event: PinChangeEvent): void;
}

/** Builds the event for a change, stamped with the device clock. */
export type PinChangeStamp = (pin: PinId, value: Level, cause: ChangeCause) => PinChangeEvent;

export class PinWatch {
  private reported: Level;
  private settling: NodeJS.Timeout | undefined;

  /**
   * @param initial level when the watch starts; only changes from it are reported
   * @param readLevel reads the pin now, to confirm a level held through the debounce time
   */
  constructor(
    readonly pin: PinId,
    readonly watcher: PinWatcher,
    readonly edge: Edge,
    readonly debounceMs: number,
    initial: Level,
    private readonly readLevel: () => Level,
    private readonly stamp: PinChangeStamp,
  ) {
    this.reported = initial;
  }

  /** An input changed level: report it once it has held for the debounce time. */
  inputChanged(level: Level): void {
    if (level === this.reported) {
      // Bounced back before settling: nothing happened as far as the client is concerned.
      this.stopSettling();
      return;
    }
    if (this.debounceMs === 0) {
      this.report(level, 'input');
      return;
    }
    this.stopSettling();
    this.settling = setTimeout(() => this.settled(), this.debounceMs);
  }

  /** The device changed the pin itself (write, lease, failsafe, setup): report at once. */
  deviceChanged(level: Level, cause: ChangeCause): void {
    this.stopSettling();
    if (level !== this.reported) this.report(level, cause);
  }

  /** Stops the watch; no event follows. */
  cancel(): void {
    this.stopSettling();
  }

  private settled(): void {
    this.settling = undefined;
    const level = this.readLevel();
    if (level !== this.reported) this.report(level, 'input');
  }

  private stopSettling(): void {
    if (this.settling !== undefined) {
      clearTimeout(this.settling);
      this.settling = undefined;
    }
  }

  private report(level: Level, cause: ChangeCause): void {
    this.reported = level;
    if (this.edge === 'both' || (this.edge === 'rising') === (level === 1)) {
      this.watcher.deliverPinChange(this.stamp(this.pin, level, cause));
    }
  }
}
