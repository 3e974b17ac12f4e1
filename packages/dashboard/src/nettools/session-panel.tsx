/**
 * One session: its state and counters, Connect/Disconnect (clients) or Listen/Stop
 * (server, UDP), Close; a TCP server's peers; the receive log and the send box.
 */
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { ErrorNote } from '../components/error-note.js';
import type { NetToolsModel } from './model.js';
import { sessionPath } from './model.js';
import { SendBox } from './send-box.js';
import { SessionLogView } from './session-log.js';
import type { SavedMessage, SessionInfo } from './types.js';
import { KIND_LABELS } from './types.js';

/** A byte count: exact up to 10 KiB, then in KiB or MiB. */
function size(bytes: number): string {
  if (bytes < 10_240) return `${bytes.toLocaleString('en')} bytes`;
  if (bytes < 10_485_760) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}

function where(s: SessionInfo): string {
  if (s.kind === 'tcp-client' || s.kind === 'tls-client') return `to ${s.host ?? '?'}:${s.port ?? '?'}`;
  const local = s.localPort === undefined ? '' : `port ${s.localPort}`;
  return s.kind === 'udp' && s.host !== undefined ? `${local}, sends to ${s.host}:${s.port ?? '?'}` : local;
}

export function SessionPanel(props: { model: NetToolsModel; session: SessionInfo; messages: SavedMessage[]; onMessagesChanged: () => void }) {
  const s = props.session;
  const [error, setError] = useState<string | null>(null);
  const [peer, setPeer] = useState('all');
  const client = s.kind === 'tcp-client' || s.kind === 'tls-client';
  const running = s.state === 'open' || s.state === 'listening' || s.state === 'connecting';

  async function act(what: 'start' | 'stop' | 'close'): Promise<void> {
    setError(null);
    try {
      if (what === 'close') {
        await api<void>('DELETE', sessionPath(s.id));
        props.model.forget(s.id);
      } else {
        props.model.put(await api<SessionInfo>('POST', sessionPath(s.id, `/${what}`)));
      }
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <div class="session" data-kind={s.kind} data-state={s.state}>
      <div class="bar">
        <h2 class="grow">{s.name} <span class="muted">{KIND_LABELS[s.kind]} {where(s)}</span></h2>
        <span class="state" role="status">{s.state}</span>
        {client
          ? running
            ? <button type="button" onClick={() => void act('stop')}>Disconnect</button>
            : <button type="button" class="primary" onClick={() => void act('start')}>Connect</button>
          : running
            ? <button type="button" onClick={() => void act('stop')}>Stop</button>
            : <button type="button" class="primary" onClick={() => void act('start')}>Listen</button>}
        <ConfirmButton label="Close" danger question={`Close ${s.name}? Its connection or port is released and its log is forgotten.`} onConfirm={() => void act('close')} />
      </div>
      <ErrorNote error={error} />
      {s.error && <p class="error" data-field="session-error">{s.error.message} ({s.error.code})</p>}
      <dl class="counters">
        <div><dt>Received</dt><dd data-field="bytesIn">{size(s.bytesIn)}</dd></div>
        <div><dt>Sent</dt><dd data-field="bytesOut">{size(s.bytesOut)}</dd></div>
        <div><dt>Dropped</dt><dd data-field="dropped" class={s.droppedBytes > 0 ? 'bad' : undefined}>{size(s.droppedBytes)}</dd></div>
        {s.fingerprint !== undefined && <div class="wide"><dt>Certificate SHA-256</dt><dd><code data-field="fingerprint">{s.fingerprint}</code></dd></div>}
      </dl>
      {s.kind === 'tcp-server' && (
        <section aria-labelledby={`peers-${s.id}`} class="peers">
          <h3 id={`peers-${s.id}`}>Connected peers ({s.peers?.length ?? 0})</h3>
          {(s.peers?.length ?? 0) === 0 ? <p class="muted">None yet: connect a board to port {s.localPort ?? '?'} of one of the hub's addresses.</p> : (
            <ul>
              {s.peers?.map((p) => (
                <li key={p.id} data-peer={p.address}>
                  <code>{p.address}</code>{' '}
                  <button type="button" class="small" aria-pressed={peer === p.id} onClick={() => setPeer(peer === p.id ? 'all' : p.id)}>
                    {peer === p.id ? 'Sending to this one' : 'Send to this one'}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <SessionLogView model={props.model} session={s} />
      <SendBox session={s} peer={s.kind === 'tcp-server' ? (s.peers?.some((p) => p.id === peer) === true ? peer : 'all') : undefined}
        messages={props.messages} onMessagesChanged={props.onMessagesChanged} />
    </div>
  );
}
