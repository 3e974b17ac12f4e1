/** One device: its state, pins, plots, events, audit log, actions and a command console. */
import { useEffect, useState } from 'preact/hooks';
import { api, devicePath, errorText } from '../api.js';
import { AuditLog } from '../components/audit-log.js';
import { CommandConsole } from '../components/command-console.js';
import { DeviceActions } from '../components/device-actions.js';
import { ErrorNote } from '../components/error-note.js';
import { EventsLog } from '../components/events-log.js';
import { PinPanel } from '../components/pin-panel.js';
import { TelemetryPlots } from '../components/telemetry-plots.js';
import { duration, kib } from '../format.js';
import { liveStream } from '../stream.js';
import type { DeviceDetail } from '../types.js';

export function DevicePage(props: { id: string }) {
  const [detail, setDetail] = useState<DeviceDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = (): void => {
      api<DeviceDetail>('GET', devicePath(props.id)).then(
        (d) => alive && (setDetail(d), setError(null)),
        (err: unknown) => alive && setError(errorText(err)),
      );
    };
    load();
    const unsubscribe = liveStream.subscribe((message) => {
      if (message.type === 'status' && message.device === props.id) {
        setDetail((d) => (d === null ? d : { ...d, device: { ...d.device, online: message.online } }));
        // get_info arrives a moment after the device comes online.
        if (message.online) setTimeout(load, 1000);
      }
    });
    return () => {
      alive = false;
      unsubscribe();
    };
  }, [props.id]);

  const d = detail?.device;
  return (
    <section aria-labelledby="device-title" class="device">
      <div class="bar">
        <h1 id="device-title">{props.id}</h1>
        {d && <span class={d.online ? 'badge on' : 'badge off'} role="status">{d.online ? 'online' : 'offline'}</span>}
        {d && (
          <p class="muted">
            {d.mode} · firmware {d.firmware ?? '—'} · RSSI {d.rssi ?? '—'} dBm · free {kib(d.memory?.free)} · up {duration(d.uptimeMs)}
          </p>
        )}
      </div>
      <ErrorNote error={error} />
      {detail && (
        <div class="grid">
          <PinPanel id={props.id} online={detail.device.online} />
          <DeviceActions id={props.id} online={detail.device.online} />
          <TelemetryPlots id={props.id} metrics={detail.metrics} />
          <CommandConsole id={props.id} />
          <EventsLog id={props.id} />
          <AuditLog id={props.id} />
        </div>
      )}
    </section>
  );
}
