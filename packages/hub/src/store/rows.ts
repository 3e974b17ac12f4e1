/**
 * Rows of the hub's tables, as both stores read them (SQLite, and PostgreSQL with JSON
 * columns read as text), and their conversion to the store's records: JSON columns parsed,
 * snake_case to camelCase, pins stored as text ("2", "LED"). (Tables with neither, such as
 * sessions, are read with their columns renamed in the query.)
 */
import type { AuditRecord, DeviceMode, DeviceRecord, HubEventRecord, OutputState } from './store.js';

export interface DeviceRow {
  id: string;
  mode: string;
  address: string | null;
  firmware: string | null;
  info: string | null;
  first_seen: number;
  last_seen: number;
}

export interface EventRow {
  id: number;
  device_id: string;
  type: string;
  time: number;
  device_time: number | null;
  data: string;
}

export interface AuditRow {
  id: number;
  time: number;
  actor: string;
  device_id: string;
  action: string;
  request: string;
  result: string;
  response: string | null;
}

export interface OutputRow {
  device_id: string;
  pin: string;
  setup: string | null;
  value: number | null;
  lease_until: number | null;
  lease_value: number | null;
  lease_write: number | null;
  updated_at: number;
}

export function jsonOrNull(value: Record<string, unknown> | null | undefined): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function parseJson(text: string | null): Record<string, unknown> | null {
  return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
}

function level(value: number | null): 0 | 1 | null {
  return value === null ? null : value === 0 ? 0 : 1;
}

export function toDevice(row: DeviceRow): DeviceRecord {
  return {
    id: row.id,
    mode: row.mode as DeviceMode,
    address: row.address,
    firmware: row.firmware,
    info: parseJson(row.info),
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
  };
}

export function toEvent(row: EventRow): HubEventRecord {
  return { id: row.id, deviceId: row.device_id, type: row.type, time: row.time, deviceTime: row.device_time, data: parseJson(row.data) ?? {} };
}

export function toAudit(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    time: row.time,
    actor: row.actor,
    deviceId: row.device_id,
    action: row.action,
    request: parseJson(row.request) ?? {},
    result: row.result,
    response: parseJson(row.response),
  };
}

export function toOutput(row: OutputRow): OutputState {
  return {
    deviceId: row.device_id,
    pin: /^\d+$/.test(row.pin) ? Number(row.pin) : 'LED',
    setup: parseJson(row.setup),
    value: level(row.value),
    leaseUntil: row.lease_until,
    leaseValue: level(row.lease_value),
    leaseWrite: level(row.lease_write),
    updatedAt: row.updated_at,
  };
}

/** Output rows of several devices as one sorted list per id of `deviceIds`, in its order. */
export function outputsOf(deviceIds: readonly string[], rows: readonly OutputRow[]): OutputState[][] {
  const byDevice = new Map<string, OutputState[]>(deviceIds.map((id) => [id, []]));
  for (const row of rows) byDevice.get(row.device_id)?.push(toOutput(row));
  return deviceIds.map((id) => (byDevice.get(id) ?? []).sort(byPin));
}

/** Output states in the order stores list them: numbered pins in order, then "LED". */
export function byPin(a: OutputState, b: OutputState): number {
  return a.pin === 'LED' ? 1 : b.pin === 'LED' ? -1 : a.pin - b.pin;
}
