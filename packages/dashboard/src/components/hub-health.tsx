/**
 * One quiet line under the fleet's title: which hub this is, and only what needs a look —
 * telemetry the store has not taken (buffered, dropped, unreachable) and the MQTT bridge's
 * connection and drops. From GET /api/health, which needs no session.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { ago } from '../format.js';
import type { HubHealth } from '../types.js';

/** How often the line is read again, in ms; also on every window focus. */
const REFRESH_MS = 10_000;

export function HubHealthLine() {
  const [health, setHealth] = useState<HubHealth | 'unavailable' | null>(null);

  useEffect(() => {
    let stopped = false;
    const load = (): void => {
      api<HubHealth>('GET', '/api/health').then(
        (answer) => {
          if (!stopped) setHealth(answer);
        },
        () => {
          if (!stopped) setHealth('unavailable');
        },
      );
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    window.addEventListener('focus', load);
    return () => {
      stopped = true;
      clearInterval(timer);
      window.removeEventListener('focus', load);
    };
  }, []);

  if (health === null) return null;
  if (health === 'unavailable') return <p class="health muted" data-health="unavailable">health unavailable</p>;
  const { telemetry, mqtt } = health;
  // Both kinds of drop lose readings; the difference (queue full, buffer past its limit) is in /api/health.
  const dropped = telemetry.dropped + telemetry.droppedOldest;
  return (
    <p class="health muted" aria-label="Hub health">
      <span>hub <strong>{health.hubId}</strong></span>
      {telemetry.storeUnreachableSince !== null && <span class="bad">store unreachable since {ago(telemetry.storeUnreachableSince, Date.now())}</span>}
      {telemetry.buffered > 0 && <span data-health="buffered">telemetry buffered {telemetry.buffered}</span>}
      {dropped > 0 && <span class="bad" data-health="telemetry-dropped">telemetry dropped {dropped}</span>}
      {mqtt !== null && (
        <>
          <span data-health="mqtt" class={mqtt.connected ? undefined : 'bad'}>MQTT {mqtt.connected ? 'connected' : 'disconnected'}</span>
          <span data-health="mqtt-published">published {mqtt.published}</span>
          <span data-health="mqtt-dropped" class={mqtt.dropped > 0 ? 'bad' : undefined}>dropped {mqtt.dropped}</span>
        </>
      )}
    </p>
  );
}
