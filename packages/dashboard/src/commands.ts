/**
 * Commands to a device through the hub (POST /api/devices/:id/commands). A device's error
 * response becomes an ApiError with its code, so the place that sent it can show it.
 * Listeners hear of every command sent, so the audit log can refresh.
 */
import { api, ApiError, devicePath } from './api.js';
import type { CommandResponse } from './types.js';

const sentListeners = new Set<(deviceId: string) => void>();

export function onCommandSent(listener: (deviceId: string) => void): () => void {
  sentListeners.add(listener);
  return () => sentListeners.delete(listener);
}

function notify(deviceId: string): void {
  for (const listener of sentListeners) listener(deviceId);
}

function checked(response: CommandResponse): CommandResponse {
  if (response.ok === false) throw new ApiError(200, typeof response.code === 'string' ? response.code : null, String(response.error ?? 'the device refused the command'));
  return response;
}

/** Sends one request; resolves with the device's successful response. */
export async function sendCommand(deviceId: string, request: Record<string, unknown>): Promise<CommandResponse> {
  try {
    return checked(await api<CommandResponse>('POST', devicePath(deviceId, '/commands'), request));
  } finally {
    notify(deviceId);
  }
}

/** Sends a list, pipelined; resolves with every response (failed ones included). */
export async function sendCommands(deviceId: string, requests: Record<string, unknown>[]): Promise<CommandResponse[]> {
  try {
    return await api<CommandResponse[]>('POST', devicePath(deviceId, '/commands'), requests);
  } finally {
    notify(deviceId);
  }
}

/** Sends whatever the console holds, and does not treat the device's error responses as failures. */
export async function sendRaw(deviceId: string, body: unknown): Promise<unknown> {
  try {
    return await api<unknown>('POST', devicePath(deviceId, '/commands'), body);
  } finally {
    notify(deviceId);
  }
}
