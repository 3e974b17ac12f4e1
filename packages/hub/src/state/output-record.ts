/**
 * What the hub remembers about the outputs it set, and how it sets them again
 * (docs/hub.md#state): pure functions from commands and responses to OutputState
 * records, and from records to the requests that restore them.
 */
import type { PinId, ValidRequest } from '@picolink/protocol';
import type { OutputState } from '../store/store.js';

export type OutputChange = { kind: 'save'; state: OutputState } | { kind: 'delete'; pin: PinId } | undefined;

function bit(value: unknown): 0 | 1 | null {
  return value === 0 || value === 1 ? value : null;
}

/**
 * How a command the device answered with success changes the record of its pin.
 * `previous` is the record so far; `legacy` is true for a stock piconetcontrol server,
 * whose leases revert to the opposite level.
 */
export function outputChange(
  deviceId: string,
  request: ValidRequest,
  response: Record<string, unknown>,
  previous: OutputState | undefined,
  now: number,
  legacy: boolean,
): OutputChange {
  switch (request.action) {
    case 'setup_pin': {
      const { pin, mode, pull, value, safe, safe_after_ms: safeAfterMs } = request.fields;
      const setup: Record<string, unknown> = { pin, mode, pull };
      if (value !== undefined && mode === 'output') setup.value = value;
      if (safe !== undefined) setup.safe = safe;
      if (safeAfterMs !== undefined) setup.safe_after_ms = safeAfterMs;
      const level = mode === 'output' ? (bit(response.value) ?? value ?? previous?.value ?? 0) : null;
      // setup_pin ends a pending lease on the device, so the record drops it too.
      return { kind: 'save', state: { deviceId, pin, setup, value: level, leaseUntil: null, leaseValue: null, leaseWrite: null, updatedAt: now } };
    }
    case 'write_pin': {
      const { pin, value, timeout } = request.fields;
      const base = { deviceId, pin, setup: previous?.setup ?? null, updatedAt: now };
      if (timeout <= 0) return { kind: 'save', state: { ...base, value, leaseUntil: null, leaseValue: null, leaseWrite: null } };
      const leaseMs = typeof response.lease_ms === 'number' ? response.lease_ms : Math.round(timeout * 1000);
      const revertsTo = bit(response.reverts_to) ?? (legacy ? ((1 - value) as 0 | 1) : (previous?.value ?? null));
      // When the lease ends the pin holds `revertsTo`: that is its lasting level.
      return { kind: 'save', state: { ...base, value: revertsTo, leaseUntil: now + leaseMs, leaseValue: revertsTo, leaseWrite: value } };
    }
    case 'set_pwm':
      // PWM is not re-applied: a pin the hub drives with PWM is forgotten.
      return { kind: 'delete', pin: request.fields.pin };
    default:
      return undefined;
  }
}

/** One request of a re-application, and the pin it is for. */
export interface ReapplyStep {
  pin: PinId;
  request: Record<string, unknown>;
}

export interface ReapplyPlan {
  steps: ReapplyStep[];
  /** Records whose lease has ended meanwhile, to be saved without it. */
  expired: OutputState[];
}

/**
 * The requests that restore recorded outputs on a device that came back: for each pin,
 * setup_pin (an output starting at its safe value when it has one, or at its lasting value
 * when it has a failsafe grace), then the lasting value, then — only if it has not ended
 * yet — the lease for the time it has left.
 * For a legacy device (no lasting writes) the lasting value goes into setup_pin.
 */
export function reapplyPlan(states: readonly OutputState[], now: number, legacy: boolean): ReapplyPlan {
  const steps: ReapplyStep[] = [];
  const expired: OutputState[] = [];
  for (const state of states) {
    const { pin, setup, value } = state;
    const output = setup === null || setup.mode === 'output';
    if (setup !== null) {
      if (legacy) {
        const request: Record<string, unknown> = { action: 'setup_pin', pin, mode: setup.mode };
        if (output && value !== null) request.value = value;
        steps.push({ pin, request });
      } else {
        const request: Record<string, unknown> = { action: 'setup_pin', ...setup };
        if (output) {
          // With a failsafe grace (safe_after_ms) the device may still hold the level from
          // before the link dropped: starting at the safe value would be the very click
          // the grace is there to avoid.
          const grace = typeof setup.safe_after_ms === 'number' && setup.safe_after_ms > 0;
          const start = grace ? (value ?? bit(setup.value) ?? bit(setup.safe)) : (bit(setup.safe) ?? value ?? bit(setup.value));
          if (start !== null) request.value = start;
        }
        steps.push({ pin, request });
      }
    }
    if (output && value !== null && !legacy) steps.push({ pin, request: { action: 'write_pin', pin, value } });
    if (state.leaseUntil !== null) {
      const remainingMs = state.leaseUntil - now;
      if (remainingMs > 0 && state.leaseWrite !== null) {
        steps.push({ pin, request: { action: 'write_pin', pin, value: state.leaseWrite, timeout: Math.ceil(remainingMs) / 1000 } });
      } else {
        expired.push({ ...state, leaseUntil: null, leaseValue: null, leaseWrite: null, updatedAt: now });
      }
    }
  }
  return { steps, expired };
}
