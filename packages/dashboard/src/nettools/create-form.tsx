/**
 * Opening a session: its kind, where to (clients: host and port; server and UDP: the
 * local port, 0 for any free one), how received bytes are framed, a TLS fingerprint.
 */
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import type { CreateSession, Framing, SessionInfo, SessionKind } from './types.js';
import { FRAMINGS, KIND_LABELS } from './types.js';

const FRAMING_LABELS: Record<Framing, string> = { lf: 'lines (LF)', crlf: 'lines (CRLF)', nul: 'NUL-terminated', none: 'each read / datagram' };

export function CreateSessionForm(props: { onCreated: (session: SessionInfo) => void }) {
  const [kind, setKind] = useState<SessionKind>('tcp-client');
  const [form, setForm] = useState({ name: '', host: '', port: '', localPort: '0', framing: 'lf' as Framing, fingerprint: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const client = kind === 'tcp-client' || kind === 'tls-client';
  const set = (field: keyof typeof form) => (event: Event): void => setForm({ ...form, [field]: (event.currentTarget as HTMLInputElement).value });

  async function create(event: Event): Promise<void> {
    event.preventDefault();
    setError(null);
    const body: CreateSession = { kind, framing: form.framing };
    if (form.name.trim() !== '') body.name = form.name.trim();
    if (client || (kind === 'udp' && form.host.trim() !== '')) {
      body.host = form.host.trim();
      body.port = Number(form.port);
    }
    if (!client) body.localPort = Number(form.localPort === '' ? '0' : form.localPort);
    if (kind === 'tls-client' && form.fingerprint.trim() !== '') body.fingerprint = form.fingerprint.trim();
    setBusy(true);
    try {
      props.onCreated(await api<SessionInfo>('POST', '/api/nettools/sessions', body));
      setForm({ ...form, name: '' });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card create" onSubmit={(e) => void create(e)} aria-labelledby="create-title">
      <h2 id="create-title">Open a session</h2>
      <div class="fields">
        <div class="field">
          <label for="net-kind">Kind</label>
          <select id="net-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as SessionKind)}>
            {(Object.keys(KIND_LABELS) as SessionKind[]).map((k) => <option key={k} value={k}>{KIND_LABELS[k]}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="net-name">Name (optional)</label>
          <input id="net-name" value={form.name} maxLength={64} onInput={set('name')} />
        </div>
        {client || kind === 'udp' ? <>
          <div class="field">
            <label for="net-host">{kind === 'udp' ? 'Send to host (optional)' : 'Remote host'}</label>
            <input id="net-host" required={client} autocomplete="off" spellcheck={false} value={form.host} onInput={set('host')} placeholder="192.168.1.50" />
          </div>
          <div class="field">
            <label for="net-port">{kind === 'udp' ? 'Send to port (optional)' : 'Remote port'}</label>
            <input id="net-port" type="number" min={1} max={65535} required={client || form.host.trim() !== ''} value={form.port} onInput={set('port')} />
          </div>
        </> : null}
        {!client && (
          <div class="field">
            <label for="net-local-port">Local port (0: any free)</label>
            <input id="net-local-port" type="number" min={0} max={65535} value={form.localPort} onInput={set('localPort')} />
          </div>
        )}
        {kind === 'tls-client' && (
          <div class="field wide">
            <label for="net-fingerprint">Certificate fingerprint, SHA-256 (optional: empty shows the one seen)</label>
            <input id="net-fingerprint" class="mono" autocomplete="off" spellcheck={false} value={form.fingerprint} onInput={set('fingerprint')} />
          </div>
        )}
        <div class="field">
          <label for="net-framing">Received messages end at</label>
          <select id="net-framing" value={form.framing} onChange={(e) => setForm({ ...form, framing: e.currentTarget.value as Framing })}>
            {FRAMINGS.map((f) => <option key={f} value={f}>{FRAMING_LABELS[f]}</option>)}
          </select>
        </div>
      </div>
      <button type="submit" class="primary" disabled={busy}>{client ? 'Open and connect' : 'Open and listen'}</button>
      <ErrorNote error={error} />
    </form>
  );
}
