/**
 * Network tools: TCP client, TCP server, UDP and TLS client sessions run by the hub (so
 * they outlive the page), one tab each; the hub's own addresses, to type into a board's
 * code. Loaded on demand: the first page does not carry it.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { CreateSessionForm } from '../nettools/create-form.js';
import { NetToolsModel } from '../nettools/model.js';
import { SessionPanel } from '../nettools/session-panel.js';
import type { HubAddresses, SavedMessage, SessionInfo } from '../nettools/types.js';
import { KIND_LABELS } from '../nettools/types.js';

const SELECTED_KEY = 'picolink.nettools.selected';

function Addresses() {
  const [addresses, setAddresses] = useState<HubAddresses | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<HubAddresses>('GET', '/api/nettools/addresses').then(setAddresses, (err: unknown) => setError(errorText(err)));
  }, []);
  return (
    <section class="card" aria-labelledby="addr-title">
      <h2 id="addr-title">This hub's addresses</h2>
      <ErrorNote error={error} />
      {addresses && <>
        <p class="muted">Host name <code>{addresses.hostname}</code>. A board on the same network reaches the hub at one of these:</p>
        <ul class="addresses">
          {addresses.addresses.map((a) => (
            <li key={`${a.interface}-${a.address}`} data-family={a.family}>
              <code>{a.address}</code> <span class="muted">{a.interface} · {a.family}{a.internal ? ' · this computer only' : ''}</span>
            </li>
          ))}
        </ul>
      </>}
    </section>
  );
}

function stateBadge(session: SessionInfo): string {
  return session.state === 'open' || session.state === 'listening' ? 'badge on' : session.state === 'failed' ? 'badge bad' : 'badge off';
}

export function NetworkToolsPage() {
  const model = useMemo(() => new NetToolsModel(), []);
  const [, setVersion] = useState(0);
  const [selected, setSelected] = useState<string | null>(() => sessionStorage.getItem(SELECTED_KEY));
  const [messages, setMessages] = useState<SavedMessage[]>([]);
  const [error, setError] = useState<string | null>(null);
  const tabs = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const off = model.subscribe(() => setVersion((v) => v + 1));
    model.start();
    model.reload().catch((err: unknown) => setError(errorText(err)));
    void loadMessages();
    return () => {
      off();
      model.stop();
    };
  }, [model]);

  async function loadMessages(): Promise<void> {
    try {
      setMessages((await api<{ messages: SavedMessage[] }>('GET', '/api/nettools/messages')).messages);
    } catch (err) {
      setError(errorText(err));
    }
  }

  const sessions = [...model.sessions.values()].sort((a, b) => a.createdAt - b.createdAt);
  const current = sessions.find((s) => s.id === selected) ?? sessions[0];

  function select(id: string, focus = false): void {
    setSelected(id);
    sessionStorage.setItem(SELECTED_KEY, id);
    if (focus) requestAnimationFrame(() => tabs.current?.querySelector<HTMLElement>(`[data-session="${CSS.escape(id)}"]`)?.focus());
  }

  // Arrow keys move between tabs, Home/End to the ends (the WAI-ARIA tabs pattern).
  function onTabKey(event: KeyboardEvent): void {
    if (!current) return;
    const at = sessions.findIndex((s) => s.id === current.id);
    const next = event.key === 'ArrowRight' ? at + 1 : event.key === 'ArrowLeft' ? at - 1 : event.key === 'Home' ? 0 : event.key === 'End' ? sessions.length - 1 : null;
    if (next === null) return;
    event.preventDefault();
    const target = sessions[(next + sessions.length) % sessions.length];
    if (target) select(target.id, true);
  }

  return (
    <section aria-labelledby="net-title" class="nettools">
      <div class="bar"><h1 id="net-title">Network tools</h1>
        <span class="muted">Sessions run in the hub: they stay open when this page is closed or reloaded.</span>
      </div>
      <ErrorNote error={error} />
      <div class="grid">
        <Addresses />
        <CreateSessionForm onCreated={(session) => {
          model.put(session);
          select(session.id);
        }} />
      </div>
      {sessions.length > 0 && current && (
        <div class="card sessions">
          <div class="tabs" role="tablist" aria-label="Sessions" ref={tabs} onKeyDown={onTabKey}>
            {sessions.map((s) => (
              <button key={s.id} type="button" role="tab" id={`tab-${s.id}`} data-session={s.id} aria-controls={`panel-${s.id}`}
                aria-selected={s.id === current.id} tabIndex={s.id === current.id ? 0 : -1} onClick={() => select(s.id)}>
                <span class={stateBadge(s)} aria-hidden="true">●</span> {s.name} <span class="muted">{KIND_LABELS[s.kind]}</span>
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${current.id}`} aria-labelledby={`tab-${current.id}`}>
            <SessionPanel key={current.id} model={model} session={current} messages={messages} onMessagesChanged={() => void loadMessages()} />
          </div>
        </div>
      )}
      {model.loaded && sessions.length === 0 && <p class="muted">No sessions yet: open one above.</p>}
    </section>
  );
}
