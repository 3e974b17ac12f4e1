/**
 * Fleet: every device the hub knows, live from /api/stream, filtered by text and sorted
 * by the column whose header was clicked; the hub's health in one line above it.
 */
import { Component } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { errorText } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { HubHealthLine } from '../components/hub-health.js';
import { FleetModel } from '../fleet-model.js';
import { ago, duration, kib, percent } from '../format.js';
import type { DeviceView } from '../types.js';

interface Column {
  key: string;
  label: string;
  value: (device: DeviceView) => string | number | null;
}

const MODE_LABEL: Record<string, string> = { 'dial-home': 'dial-home', server: 'server', telemetry: 'telemetry only' };

const COLUMNS: Column[] = [
  { key: 'id', label: 'Device', value: (d) => d.id },
  { key: 'online', label: 'State', value: (d) => (d.online ? 2 : sending(d, Date.now()) ? 1 : 0) },
  { key: 'mode', label: 'Mode', value: (d) => d.mode },
  { key: 'lastSeen', label: 'Last seen', value: (d) => d.lastSeen },
  { key: 'firmware', label: 'Firmware', value: (d) => d.firmware },
  { key: 'rssi', label: 'RSSI', value: (d) => d.rssi },
  { key: 'memory', label: 'Free memory', value: (d) => d.memory?.free ?? null },
  { key: 'uptime', label: 'Uptime', value: (d) => d.uptimeMs },
  { key: 'rate', label: 'Telemetry rate', value: (d) => d.telemetry?.ratePerSecond ?? null },
  { key: 'loss', label: 'Loss', value: (d) => d.telemetry?.loss ?? null },
];

/** How long a telemetry-only device counts as sending after its last datagram. */
const SENDING_MS = 30_000;

/** A telemetry-only device has no link to be online on; it is "sending" while datagrams arrive. */
function sending(d: DeviceView, now: number): boolean {
  return !d.online && d.mode === 'telemetry' && d.lastSeen !== null && now - d.lastSeen < SENDING_MS;
}

function stateOf(d: DeviceView, now: number): { label: string; on: boolean } {
  if (d.online) return { label: 'online', on: true };
  return sending(d, now) ? { label: 'sending', on: true } : { label: 'offline', on: false };
}

/** One collator for every comparison: `localeCompare` with options builds one per call, which sorting 1,000 rows feels. */
const collator = new Intl.Collator(undefined, { numeric: true });

function compare(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : collator.compare(String(a), String(b));
}

/** One row; renders again only when its device or the clock changed. */
class FleetRow extends Component<{ device: DeviceView; now: number }> {
  override shouldComponentUpdate(next: { device: DeviceView; now: number }): boolean {
    return next.device !== this.props.device || next.now !== this.props.now;
  }

  override render() {
    const d = this.props.device;
    const state = stateOf(d, this.props.now);
    return (
      <tr data-device={d.id} class={d.online ? 'online' : 'offline'}>
        <th scope="row"><a href={`/devices/${encodeURIComponent(d.id)}`}>{d.id}</a></th>
        <td data-label="State"><span class={state.on ? 'badge on' : 'badge off'}>{state.label}</span></td>
        <td data-label="Mode">{MODE_LABEL[d.mode] ?? d.mode}</td>
        <td data-label="Last seen">{ago(d.lastSeen, this.props.now)}</td>
        <td data-label="Firmware">{d.firmware ?? '—'}</td>
        <td data-label="RSSI">{d.rssi === null ? '—' : `${d.rssi} dBm`}</td>
        <td data-label="Free memory">{kib(d.memory?.free)}</td>
        <td data-label="Uptime">{duration(d.uptimeMs)}</td>
        <td data-label="Telemetry rate">{d.telemetry === null ? '—' : `${d.telemetry.ratePerSecond}/s`}</td>
        <td data-label="Loss">{d.telemetry === null ? '—' : percent(d.telemetry.loss)}</td>
      </tr>
    );
  }
}

export function FleetPage() {
  const [devices, setDevices] = useState<DeviceView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: string; descending: boolean }>({ key: 'id', descending: false });
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const model = new FleetModel(
      (list) => {
        setDevices(list);
        setError(null);
      },
      (err) => setError(errorText(err)),
    );
    model.start();
    const clock = setInterval(() => setNow(Date.now()), 5000);
    return () => {
      model.stop();
      clearInterval(clock);
    };
  }, []);

  const shown = useMemo(() => {
    if (devices === null) return [];
    const words = filter.toLowerCase().split(/\s+/).filter((w) => w !== '');
    const column = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[0]!;
    const matching = words.length === 0 ? devices : devices.filter((d) => {
      const text = `${d.id} ${stateOf(d, Date.now()).label} ${d.mode} ${d.firmware ?? ''} ${d.address ?? ''}`.toLowerCase();
      return words.every((w) => text.includes(w));
    });
    const sorted = [...matching].sort((a, b) => compare(column.value(a), column.value(b)) || collator.compare(a.id, b.id));
    return sort.descending ? sorted.reverse() : sorted;
  }, [devices, filter, sort]);

  const online = devices?.filter((d) => d.online).length ?? 0;
  return (
    <section aria-labelledby="fleet-title">
      <div class="bar">
        <h1 id="fleet-title">Fleet</h1>
        <p class="muted" role="status">{devices === null ? 'loading…' : `${online} of ${devices.length} online`}</p>
        <label class="filter">
          <span>Filter</span>
          <input type="search" value={filter} placeholder="id, mode, firmware…" onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
      </div>
      <HubHealthLine />
      <ErrorNote error={error} />
      <div class="table-wrap">
        <table class="fleet">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th scope="col" key={c.key} aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                  <button type="button" class="sort" onClick={() => setSort({ key: c.key, descending: sort.key === c.key && !sort.descending })}>
                    {c.label}
                    <span aria-hidden="true">{sort.key === c.key ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((d) => <FleetRow key={d.id} device={d} now={now} />)}
          </tbody>
        </table>
      </div>
      {devices !== null && devices.length === 0 && <p>No devices yet. <a href="/manage">Add one</a>, or start <code>picolink device --sim --hub HOST:PORT --token TOKEN</code>.</p>}
    </section>
  );
}
