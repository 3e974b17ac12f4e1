/** The audit log for the device: every command sent to it, who sent it, and the result. */
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { onCommandSent } from '../commands.js';
import { clock } from '../format.js';
import type { AuditRecord } from '../types.js';
import { ErrorNote } from './error-note.js';

const REFRESH_MS = 15_000;

function brief(request: Record<string, unknown>): string {
  return Object.entries(request).filter(([k]) => k !== 'action' && k !== 'id' && k !== 'files').map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
}

export function AuditLog(props: { id: string }) {
  const [records, setRecords] = useState<AuditRecord[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = (): void => {
      api<{ audit: AuditRecord[] }>('GET', `/api/audit?device=${encodeURIComponent(props.id)}&limit=50`).then((r) => (setRecords(r.audit), setError(null)), (err: unknown) => setError(errorText(err)));
    };
    load();
    // Commands from other clients (the SDK, curl) are not on the stream: look again now and then.
    const poll = setInterval(load, REFRESH_MS);
    const off = onCommandSent((device) => {
      if (device !== props.id) return;
      clearTimeout(timer);
      timer = setTimeout(load, 300);
    });
    return () => {
      off();
      clearInterval(poll);
      clearTimeout(timer);
    };
  }, [props.id]);
  return (
    <section class="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <ErrorNote error={error} />
      <div class="log" tabIndex={0} aria-label="Audit log, newest first">
        <table>
          <thead><tr><th scope="col">Time</th><th scope="col">Who</th><th scope="col">Command</th><th scope="col">Result</th></tr></thead>
          <tbody>
            {records.map((r) => (
              <tr key={r.id}>
                <td>{clock(r.time)}</td><td>{r.actor}</td><td><code>{r.action}</code> {brief(r.request)}</td>
                <td class={r.result === 'ok' ? '' : 'bad'}>{r.result}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {records.length === 0 && <p class="muted">No commands sent yet.</p>}
      </div>
    </section>
  );
}
