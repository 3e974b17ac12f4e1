/**
 * Command console: pick an action and fill the form generated from the protocol's action
 * table, or type the JSON; see the response and its round-trip time. The JSON line keeps a
 * history: Up and Down walk through what was sent.
 */
import { ACTION_NAMES, ACTIONS, isActionName } from '@picolink/protocol';
import type { ActionName } from '@picolink/protocol';
import { useMemo, useState } from 'preact/hooks';
import { errorText } from '../api.js';
import { sendRaw } from '../commands.js';
import { formFields, requestFromForm } from '../console-form.js';
import { historyKeys, remember } from '../input-history.js';
import { ErrorNote } from './error-note.js';


export function CommandConsole(props: { id: string }) {
  const [action, setAction] = useState<ActionName>('get_info');
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [json, setJson] = useState('{"action":"get_info"}');
  const [history, setHistory] = useState<string[]>([]);
  const [cursor, setCursor] = useState<number | null>(null);
  const [response, setResponse] = useState<{ text: string; rttMs: number; ok: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fields = useMemo(() => formFields(action), [action]);

  function fromForm(nextAction: ActionName, nextValues: Record<string, string | boolean>): void {
    setJson(JSON.stringify(requestFromForm(nextAction, nextValues)));
  }

  async function send(event: Event): Promise<void> {
    event.preventDefault();
    setError(null);
    let body: unknown;
    try {
      body = JSON.parse(json);
    } catch (err) {
      setError(`The request is not JSON: ${(err as Error).message}`);
      return;
    }
    setHistory((h) => remember(h, json));
    setCursor(null);
    setBusy(true);
    const started = performance.now();
    try {
      const answer = await sendRaw(props.id, body);
      const rttMs = performance.now() - started;
      const failed = (Array.isArray(answer) ? answer : [answer]).some((r) => typeof r === 'object' && r !== null && (r as { ok?: unknown }).ok === false);
      setResponse({ text: JSON.stringify(answer, null, 2), rttMs, ok: !failed });
    } catch (err) {
      setResponse(null);
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const onKeyDown = historyKeys(history, cursor, (next, text) => (setCursor(next), setJson(text)));

  return (
    <section class="card console" aria-labelledby="console-title">
      <h2 id="console-title">Command console</h2>
      <form onSubmit={(e) => void send(e)}>
        <div class="row wrap">
          <label class="inline">
            Action
            <select value={action} onChange={(e) => {
              const name = e.currentTarget.value;
              if (!isActionName(name)) return;
              setAction(name);
              setValues({});
              fromForm(name, {});
            }}>
              {ACTION_NAMES.map((name) => <option key={name} value={name}>{name}</option>)}
            </select>
          </label>
          <span class="muted">{ACTIONS[action].summary}</span>
        </div>
        <div class="fields">
          {fields.map((f) => {
            const id = `console-${f.name}`;
            const value = values[f.name];
            const set = (v: string | boolean): void => {
              const next = { ...values, [f.name]: v };
              setValues(next);
              fromForm(action, next);
            };
            return (
              <div class="field" key={`${action}-${f.name}`}>
                <label for={id}>{f.name}{f.required ? ' *' : ''}{f.unit === undefined ? '' : ` (${f.unit})`}</label>
                {f.kind === 'checkbox' && <input id={id} type="checkbox" checked={value === true} onChange={(e) => set(e.currentTarget.checked)} />}
                {f.kind === 'number' && <input id={id} type="number" min={f.min} max={f.max} step={f.step} value={String(value ?? '')} onInput={(e) => set(e.currentTarget.value)} />}
                {f.kind === 'text' && <input id={id} type="text" value={String(value ?? '')} onInput={(e) => set(e.currentTarget.value)} />}
                {f.kind === 'json' && <textarea id={id} rows={2} value={String(value ?? '')} onInput={(e) => set(e.currentTarget.value)} />}
                {f.kind === 'select' && (
                  <select id={id} value={String(value ?? '')} onChange={(e) => set(e.currentTarget.value)}>
                    {!f.required && <option value="">(default)</option>}
                    {f.required && value === undefined && <option value="">choose…</option>}
                    {f.options?.map((o) => <option key={o} value={o}>{o}</option>)}
                  </select>
                )}
                <small class="muted">{f.doc}</small>
              </div>
            );
          })}
        </div>
        <label for="console-json">Request JSON (Up/Down: history)</label>
        <div class="row">
          <input id="console-json" class="mono grow" type="text" spellcheck={false} value={json} onInput={(e) => setJson(e.currentTarget.value)} onKeyDown={onKeyDown} />
          <button type="submit" class="primary" disabled={busy}>Send</button>
        </div>
      </form>
      <ErrorNote error={error} />
      {response && (
        <div>
          <p class={response.ok ? 'muted' : 'error'} role="status">
            {response.ok ? 'Answered' : 'The device refused it'} in <span class="rtt">{response.rttMs.toFixed(1)} ms</span>
          </p>
          <pre tabIndex={0} class="result" aria-label="Response">{response.text}</pre>
        </div>
      )}
    </section>
  );
}
