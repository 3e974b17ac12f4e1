/**
 * A session's receive log: time, direction, peer and the bytes, as escaped text or hex
 * (switched at any time: the page keeps the bytes); clear, copy, download.
 *
 * Bounds: the page's DOM holds the last 500 entries, at most 128 KiB of their bytes, each
 * entry's first 1 KiB (Copy and Download have every kept byte).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import type { NetToolsModel } from './model.js';
import { sessionPath } from './model.js';
import { DIR_LABELS, entrySize, entryText, formatClock, logText, SHOWN_BYTES } from './render.js';
import type { LogEntry } from './types.js';
import type { View } from './render.js';
import type { SessionInfo } from './types.js';

const SHOWN = 500;
const SHOWN_TOTAL_BYTES = 128 * 1024;

/** The newest entries that fit the page's bounds, oldest first. */
function newest(entries: readonly LogEntry[]): LogEntry[] {
  let bytes = 0;
  let from = entries.length;
  while (from > 0 && entries.length - from < SHOWN) {
    const size = Math.min(SHOWN_BYTES, entrySize(entries[from - 1] as LogEntry));
    if (bytes + size > SHOWN_TOTAL_BYTES && from < entries.length) break;
    bytes += size;
    from--;
  }
  return entries.slice(from);
}

export function SessionLogView(props: { model: NetToolsModel; session: SessionInfo }) {
  const [view, setView] = useState<View>('text');
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const log = props.model.log(props.session.id);
  const shown = newest(log.entries);
  const last = shown[shown.length - 1]?.seq;

  // Follows the newest entry while the person is at the bottom; leaves the scroll alone otherwise.
  useEffect(() => {
    const el = box.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [last]);

  async function clear(): Promise<void> {
    setError(null);
    try {
      await api<void>('DELETE', sessionPath(props.session.id, '/log'));
      props.model.clearLog(props.session.id);
    } catch (err) {
      setError(errorText(err));
    }
  }

  async function copy(): Promise<void> {
    setError(null);
    try {
      await navigator.clipboard.writeText(logText(log.entries, view));
      setNote(`Copied ${log.entries.length} entries.`);
    } catch (err) {
      setError(`The browser did not allow copying (${(err as Error).message}); use Download.`);
    }
  }

  function download(): void {
    const url = URL.createObjectURL(new Blob([logText(log.entries, view)], { type: 'text/plain;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${props.session.name.replace(/[^\w.-]+/g, '_') || 'session'}.log`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  return (
    <section aria-labelledby={`log-${props.session.id}`} class="netlog-section">
      <div class="bar">
        <h3 id={`log-${props.session.id}`} class="grow">Log</h3>
        <div role="group" aria-label="Show bytes as" class="row">
          <button type="button" class="small" aria-pressed={view === 'text'} onClick={() => setView('text')}>Text</button>
          <button type="button" class="small" aria-pressed={view === 'hex'} onClick={() => setView('hex')}>Hex</button>
        </div>
        <button type="button" class="small" onClick={() => void clear()}>Clear</button>
        <button type="button" class="small" onClick={() => void copy()}>Copy</button>
        <button type="button" class="small" onClick={download}>Download</button>
      </div>
      <ErrorNote error={error} />
      {note && <p class="muted" role="status">{note}</p>}
      {log.droppedEntries > 0 && <p class="muted">{log.droppedEntries} older entries are no longer kept by the hub.</p>}
      <div class="log netlog" ref={box} tabIndex={0} aria-label={`Log of ${props.session.name}, oldest first`}>
        <table>
          <thead><tr><th scope="col">Time</th><th scope="col"><abbr title="direction">Dir</abbr></th><th scope="col">Peer</th><th scope="col">Data</th></tr></thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.seq} class={`entry ${e.dir}`} data-dir={e.dir}>
                <td class="t">{formatClock(e.t)}</td>
                <td title={e.dir}><span aria-hidden="true">{DIR_LABELS[e.dir]}</span><span class="sr-only">{e.dir}</span></td>
                <td class="peer">{e.peer ?? ''}</td>
                <td class="data"><pre class={view}>{entryText(e, view, SHOWN_BYTES)}</pre></td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p class="muted">Nothing yet.</p>}
      </div>
    </section>
  );
}
