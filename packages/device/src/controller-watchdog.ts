/**
 * Finds a controller that fell silent (docs/protocol.md#silent-controllers). A peer that
 * controls an output with a safe value and has sent nothing for half the controller
 * timeout is sent a `ping` — if it has shown it speaks picolink (it sent a request with an
 * `id`, or answered one of the device's requests; piconetcontrol's client never sends an
 * id and would take a ping for the answer it waits for). Silent for the whole timeout, it
 * is taken as gone: the session applies the safe values at once and then closes.
 *
 * Bounds: one timer per connection, firing about twice per timeout; with no output with a
 * safe value at stake nothing is sent and nothing is closed. A half-open controller's
 * outputs go safe `timeoutMs` (+ a few ms) after its last frame.
 */

/** Default controller timeout, in ms: safe values apply within 10 s of silence. */
export const DEFAULT_CONTROLLER_TIMEOUT_MS = 8_000;

export interface ControllerWatchdogHooks {
  /** True while the connection controls an output with a safe value. */
  ownsFailsafeOutputs(): boolean;
  /** Sends a `ping` to the peer; its answer arrives (and is heard) like any frame. */
  ping(timeoutMs: number): void;
  /** The peer was silent for `silentMs` while it controlled outputs with safe values. */
  gone(silentMs: number): void;
  /** While the device is in light sleep, resolves on waking (the silence was the device's). */
  sleepGate(): Promise<void> | undefined;
}

export class ControllerWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private lastHeard = performance.now();
  private probed = false;
  private answersPings = false;
  private stopped = false;

  /**
   * @param timeoutMs silence after which a controller is gone, in ms; 0 never
   *   (default {@link DEFAULT_CONTROLLER_TIMEOUT_MS})
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly hooks: ControllerWatchdogHooks,
  ) {
    this.arm(this.timeoutMs / 2);
  }

  /** A frame arrived from the peer. */
  heard(): void {
    this.lastHeard = performance.now();
    this.probed = false;
  }

  /** The peer sent a request with an id or answered the device: it answers a `ping`. */
  peerAnswersPings(): void {
    this.answersPings = true;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    if (this.timeoutMs <= 0 || this.stopped) return;
    this.timer = setTimeout(this.check, Math.max(1, Math.ceil(delayMs)));
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const half = this.timeoutMs / 2;
    const gate = this.hooks.sleepGate();
    if (gate) {
      // The device was asleep, not the peer: count again from waking.
      void gate.then(() => {
        this.heard();
        this.arm(half);
      });
      return;
    }
    const silentMs = performance.now() - this.lastHeard;
    if (silentMs < half) return this.arm(half - silentMs);
    // Ownership comes only with a frame, so nothing can be at stake before the next one.
    if (!this.hooks.ownsFailsafeOutputs()) return this.arm(half);
    if (silentMs >= this.timeoutMs) return this.hooks.gone(Math.round(silentMs));
    if (!this.probed && this.answersPings) {
      this.probed = true;
      this.hooks.ping(this.timeoutMs - silentMs);
    }
    this.arm(this.timeoutMs - silentMs);
  };
}
