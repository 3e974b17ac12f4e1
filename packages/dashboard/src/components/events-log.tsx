/** The device's events, newest first: the stored ones, then each new one from the stream. */
import { useEffect, useState } from 'preact/hooks';
import { api, devicePath, errorText } from '../api.js';
import { clock } from '../format.js';
import { liveStream } from '../stream.js';
import type { HubEvent } from '../types.js';
import { ErrorNote } from './error-note.js';

const MAX_SHOWN = 200;

function summary(event: HubEvent): string {
  const data = event.data;
  if (event.type === 'pin_change') return `pin ${String(data.pin)} → ${String(data.value)}${data.cause === undefined ? '' : ` (${String(data.cause)})`}`;
  return Object.entries(data).filter(([k]) => k !== 'time').map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
}

export function EventsLog(props: { id: string }) {
  const [events, setEvents] = useState<HubEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ events: HubEvent[] }>('GET', devicePath(props.id, '/events?limit=100')).then(
      // Events that came live while the list loaded stay on top; stored ones already shown live are not repeated.
      (r) => setEvents((live) => [...live, ...r.events.filter((e) => !live.some((l) => l.type === e.type && l.time === e.time))].slice(0, MAX_SHOWN)),
      (err: unknown) => setError(errorText(err)),
    );
    return liveStream.subscribe((message) => {
      if (message.type === 'event' && message.device === props.id) setEvents((list) => [message.event, ...list].slice(0, MAX_SHOWN));
      if (message.type === 'status' && message.device === props.id) {
        setEvents((list) => [{ type: message.online ? 'online' : 'offline', time: message.time, data: {} }, ...list].slice(0, MAX_SHOWN));
      }
    });
  }, [props.id]);
  return (
    <section class="card" aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <ErrorNote error={error} />
      <div class="log" tabIndex={0} aria-label="Events, newest first" aria-live="polite">
        <table>
          <thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Details</th></tr></thead>
          <tbody>
            {events.map((e, i) => (
              <tr key={e.id ?? `live-${e.time}-${i}`} class="event" data-type={e.type}>
                <td>{clock(e.time)}</td><td>{e.type}</td><td>{summary(e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {events.length === 0 && <p class="muted">No events yet.</p>}
      </div>
    </section>
  );
}
