/** Request and response types of the SDK, derived from the protocol's action table. */
import type { ActionName, RequestFields, RequestId, ResultFields } from '@picolink/protocol';

/** Fields of a request as a caller may pass them: any subset; the device fills defaults and validates. */
export type RequestInput<A extends ActionName> = Partial<RequestFields[A]>;

/** An action's result fields; actions without results add nothing. */
export type ResultOf<A extends ActionName> = ResultFields[A] extends Record<string, never> ? unknown : ResultFields[A];

/** A success response: the echoed request, `ok`, `time_received` and the action's results. */
export type ActionResponse<A extends ActionName> = ResultOf<A> & {
  action: A;
  /** true from a picolink device; absent from a piconetcontrol server. */
  ok?: true;
  id?: RequestId;
  /** Device clock when the request arrived, ns since the Unix epoch. */
  time_received?: number;
  [field: string]: unknown;
};

/** Options of a single request. */
export interface CallOptions {
  /** Time allowed for the answer after the request is sent, in ms. Default: the connection's timeoutMs. */
  timeoutMs?: number;
}
