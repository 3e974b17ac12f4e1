/**
 * The hub's HTTP API as the page uses it: same-origin requests with the session cookie
 * (docs/hub.md#auth), the CSRF token on every state-changing request, and every error
 * answer turned into an `ApiError` carrying the hub's code and sentence.
 */
import { isErrorCode } from '@picolink/protocol';

/** An error answer of the hub (`{ error, code }`), or a network failure (code null). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The text shown where the person acted: the hub's sentence and its code. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.code === null ? err.message : `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

export interface Session {
  csrf: string;
  /** False when the hub runs with auth off. */
  auth: boolean;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** CSRF token of the current session; set by sign-in and by `restoreSession`. */
let csrf: string | null = null;
/** Called when an answer says the session is gone, so the page goes back to sign-in. */
let onSignedOut: () => void = () => undefined;

export function setSignedOutHandler(handler: () => void): void {
  onSignedOut = handler;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const { error, code } = body as { error: unknown; code: unknown };
    return new ApiError(response.status, isErrorCode(code) || typeof code === 'string' ? String(code) : null, String(error));
  }
  return new ApiError(response.status, null, `the hub answered ${response.status} ${response.statusText}`);
}

/** Sends one request; JSON in, JSON (or nothing, for 204) out. */
export async function api<T>(method: string, path: string, body?: unknown, options: { quietAuth?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (STATE_CHANGING.has(method) && csrf !== null) headers['x-csrf-token'] = csrf;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? null : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, null, `the hub did not answer (${(err as Error).message}); is it still running?`);
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && options.quietAuth !== true) {
      csrf = null;
      onSignedOut();
    }
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Exchanges the API token for a session cookie (POST /api/session). */
export async function signIn(token: string): Promise<Session> {
  const session = await api<Session>('POST', '/api/session', { token }, { quietAuth: true });
  csrf = session.csrf;
  return session;
}

/** The session of a reloaded page, or null when there is none (GET /api/session). */
export async function restoreSession(): Promise<Session | null> {
  try {
    const session = await api<Session>('GET', '/api/session', undefined, { quietAuth: true });
    csrf = session.csrf;
    return session;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export async function signOut(): Promise<void> {
  try {
    await api<void>('DELETE', '/api/session', undefined, { quietAuth: true });
  } finally {
    csrf = null;
  }
}

/** Path of a device's routes, with the id escaped. */
export function devicePath(id: string, rest = ''): string {
  return `/api/devices/${encodeURIComponent(id)}${rest}`;
}
