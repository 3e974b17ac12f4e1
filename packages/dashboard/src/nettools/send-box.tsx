/**
 * Sending on a session: text or hex, a line ending, history on Up/Down; saved messages
 * (kept in the hub) sent in one click or repeated by the hub at an interval, which can be
 * cancelled. A TCP server sends to the peer picked in its list, or to all; UDP to the
 * session's default host:port or the one typed.
 *
 * Bounds: 100 history lines; a repeat 1–1000 times, every 10 ms–1 h (the hub checks too).
 */
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { historyKeys, remember } from '../input-history.js';
import { sessionPath } from './model.js';
import type { Ending, SavedMessage, SendRequest, SessionInfo } from './types.js';
import { ENDING_LABELS, ENDINGS } from './types.js';

/** History per session, for this page load. */
const histories = new Map<string, string[]>();

export function SendBox(props: { session: SessionInfo; peer: string | undefined; messages: SavedMessage[]; onMessagesChanged: () => void }) {
  const s = props.session;
  const [data, setData] = useState('');
  const [encoding, setEncoding] = useState<'text' | 'hex'>('text');
  const [ending, setEnding] = useState<Ending>('lf');
  const [to, setTo] = useState('');
  const [cursor, setCursor] = useState<number | null>(null);
  const [saveName, setSaveName] = useState('');
  const [repeat, setRepeat] = useState({ count: '10', intervalMs: '1000' });
  const [repeats, setRepeats] = useState<{ id: string; name: string }[]>([]);
  const [errors, setErrors] = useState<Record<string, string | null>>({});
  const [sent, setSent] = useState<string | null>(null);
  const fail = (where: string, err: unknown): void => setErrors((e) => ({ ...e, [where]: err === null ? null : errorText(err) }));
  const history = histories.get(s.id) ?? [];
  const id = s.id;

  function request(message: { data: string; encoding: 'text' | 'hex'; ending: Ending }): SendRequest {
    const body: SendRequest = { data: message.data, encoding: message.encoding, ending: message.ending };
    if (props.peer !== undefined) body.peer = props.peer;
    if (s.kind === 'udp' && to.trim() !== '') body.to = to.trim();
    return body;
  }

  async function send(event: Event): Promise<void> {
    event.preventDefault();
    fail('send', null);
    histories.set(id, remember(history, data));
    setCursor(null);
    try {
      const answer = await api<{ bytes: number }>('POST', sessionPath(id, '/send'), request({ data, encoding, ending }));
      setSent(`Sent ${answer.bytes} bytes.`);
    } catch (err) {
      fail('send', err);
    }
  }

  const onKeyDown = historyKeys(history, cursor, (next, text) => (setCursor(next), setData(text)));

  async function save(event: Event): Promise<void> {
    event.preventDefault();
    fail('save', null);
    try {
      await api<SavedMessage>('POST', '/api/nettools/messages', { name: saveName.trim(), data, encoding, ending });
      setSaveName('');
      props.onMessagesChanged();
    } catch (err) {
      fail('save', err);
    }
  }

  async function sendSaved(message: SavedMessage, repeated: boolean): Promise<void> {
    fail(message.id, null);
    const body = request(message);
    if (repeated) body.repeat = { count: Number(repeat.count), intervalMs: Number(repeat.intervalMs) };
    try {
      const answer = await api<{ bytes: number; repeat?: { id: string } }>('POST', sessionPath(id, '/send'), body);
      const started = answer.repeat;
      if (started) setRepeats((list) => [...list, { id: started.id, name: message.name }]);
      else setSent(`Sent ${message.name}: ${answer.bytes} bytes.`);
    } catch (err) {
      fail(message.id, err);
    }
  }

  async function cancel(repeatId: string): Promise<void> {
    fail('repeat', null);
    try {
      await api<void>('DELETE', sessionPath(id, `/repeat/${encodeURIComponent(repeatId)}`));
    } catch (err) {
      fail('repeat', err);
    }
    setRepeats((list) => list.filter((r) => r.id !== repeatId));
  }

  async function remove(message: SavedMessage): Promise<void> {
    fail(message.id, null);
    try {
      await api<void>('DELETE', `/api/nettools/messages/${encodeURIComponent(message.id)}`);
      props.onMessagesChanged();
    } catch (err) {
      fail(message.id, err);
    }
  }

  // The hub says which repeats still run (and how many sends are left); the page only
  // knows the names of those it started.
  const running: { id: string; name: string; remaining?: number }[] = s.repeats === undefined
    ? repeats
    : s.repeats.map((r) => ({ id: r.id, name: repeats.find((m) => m.id === r.id)?.name ?? 'a message', remaining: r.remaining }));

  return (
    <section aria-labelledby={`send-${id}`} class="send">
      <h3 id={`send-${id}`}>Send{props.peer === undefined ? '' : props.peer === 'all' ? ' to every peer' : ` to ${s.peers?.find((p) => p.id === props.peer)?.address ?? 'the peer'}`}</h3>
      <form onSubmit={(e) => void send(e)}>
        <label for={`send-data-${id}`}>Message ({encoding === 'hex' ? 'hex bytes, e.g. 74 65 73 74' : 'text'}; Up/Down: history)</label>
        <div class="row">
          <input id={`send-data-${id}`} class="mono grow" type="text" autocomplete="off" spellcheck={false} value={data}
            onInput={(e) => setData(e.currentTarget.value)} onKeyDown={onKeyDown} />
          <button type="submit" class="primary">Send</button>
        </div>
        <div class="row wrap">
          <label class="inline" for={`send-as-${id}`}>As</label>
            <select id={`send-as-${id}`} value={encoding} onChange={(e) => setEncoding(e.currentTarget.value as 'text' | 'hex')}>
              <option value="text">text</option><option value="hex">hex</option>
            </select>
          <label class="inline" for={`send-ending-${id}`}>Line ending</label>
            <select id={`send-ending-${id}`} value={ending} onChange={(e) => setEnding(e.currentTarget.value as Ending)}>
              {ENDINGS.map((x) => <option key={x} value={x}>{ENDING_LABELS[x]}</option>)}
            </select>
          {s.kind === 'udp' && (
            <><label class="inline" for={`send-to-${id}`}>To host:port</label>
              <input id={`send-to-${id}`} class="mono" value={to} placeholder={s.host === undefined ? '192.168.1.50:9932' : `${s.host}:${s.port ?? ''}`} onInput={(e) => setTo(e.currentTarget.value)} /></>
          )}
        </div>
      </form>
      {sent && !errors.send && <p class="muted" role="status">{sent}</p>}
      <ErrorNote error={errors.send ?? null} />
      <form class="row wrap" onSubmit={(e) => void save(e)}>
        <label class="inline" for={`save-name-${id}`}>Save this message as</label>
        <input id={`save-name-${id}`} value={saveName} required maxLength={64} onInput={(e) => setSaveName(e.currentTarget.value)} />
        <button type="submit">Save</button>
      </form>
      <ErrorNote error={errors.save ?? null} />
      <details class="saved" open={props.messages.length > 0}>
        <summary>Saved messages ({props.messages.length})</summary>
        <div class="row wrap">
          <label class="inline" for={`repeat-count-${id}`}>Repeat count</label>
          <input id={`repeat-count-${id}`} type="number" min={1} max={1000} value={repeat.count} onInput={(e) => setRepeat({ ...repeat, count: e.currentTarget.value })} />
          <label class="inline" for={`repeat-every-${id}`}>every (ms)</label>
          <input id={`repeat-every-${id}`} type="number" min={10} max={3600000} value={repeat.intervalMs} onInput={(e) => setRepeat({ ...repeat, intervalMs: e.currentTarget.value })} />
        </div>
        <ul class="messages">
          {props.messages.map((m) => (
            <li key={m.id} data-message={m.name}>
              <span class="grow"><strong>{m.name}</strong> <code>{m.data}</code> <span class="muted">{m.encoding}, {ENDING_LABELS[m.ending]}</span></span>
              <button type="button" class="small" aria-label={`Send ${m.name}`} onClick={() => void sendSaved(m, false)}>Send</button>
              <button type="button" class="small" aria-label={`Repeat ${m.name}`} onClick={() => void sendSaved(m, true)}>Repeat</button>
              <button type="button" class="small danger" aria-label={`Delete ${m.name}`} onClick={() => void remove(m)}>Delete</button>
              <ErrorNote error={errors[m.id] ?? null} />
            </li>
          ))}
        </ul>
      </details>
      {running.length > 0 && (
        <ul class="repeats" aria-label="Repeats running">
          {running.map((r) => (
            <li key={r.id}>Repeating {r.name}{r.remaining === undefined ? '' : ` (${r.remaining} left)`} <button type="button" class="small" onClick={() => void cancel(r.id)}>Cancel repeat</button></li>
          ))}
        </ul>
      )}
      <ErrorNote error={errors.repeat ?? null} />
    </section>
  );
}
