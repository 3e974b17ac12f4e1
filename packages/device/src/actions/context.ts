/** What an action handler gets besides its request: the device and the connection asking. */
import { CAPABILITIES } from '@picolink/protocol';
import type { ActionName, Capability, ResultFields, ValidRequest } from '@picolink/protocol';
import type { DeviceRuntime } from '../runtime.js';
import type { PinWatcher } from '../pins/watch.js';

/** The connection a request arrived on. */
export interface ConnectionContext extends PinWatcher {
  /** Session id; the owner id of the pins this connection sets up or writes. */
  readonly id: number;
  /** True when the connection is encrypted with TLS. */
  readonly secure: boolean;
}

export interface ActionContext {
  runtime: DeviceRuntime;
  connection: ConnectionContext;
}

/** The validated request of one action. */
export type RequestOf<K extends ActionName> = Extract<ValidRequest, { action: K }>;

/** Runs one action; returns its result fields or throws a PicolinkError. */
export type ActionHandler<K extends ActionName> = (
  request: RequestOf<K>,
  context: ActionContext,
) => ResultFields[K] | Promise<ResultFields[K]>;

/** Capabilities as this connection sees them: "tls" is added on encrypted connections. */
export function capabilitiesFor(context: ActionContext): Capability[] {
  return context.connection.secure ? [...CAPABILITIES, 'tls'] : [...CAPABILITIES];
}
