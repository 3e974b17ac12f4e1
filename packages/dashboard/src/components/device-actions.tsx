/**
 * Device actions behind a confirmation: get_info, reset, sleep, and a firmware update
 * from files picked on this computer (sent as `update` with each file's SHA-256, so the
 * device checks them before replacing anything).
 */
import { useState } from 'preact/hooks';
import { errorText } from '../api.js';
import { sendCommand } from '../commands.js';
import { ConfirmButton } from './confirm-button.js';
import { ErrorNote } from './error-note.js';

async function sha256Hex(text: string): Promise<string | null> {
  // crypto.subtle exists only in secure contexts (https, or localhost).
  if (globalThis.crypto?.subtle === undefined) return null;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function DeviceActions(props: { id: string; online: boolean }) {
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sleepMs, setSleepMs] = useState(5000);
  const [deep, setDeep] = useState(false);
  const [files, setFiles] = useState<File[]>([]);

  async function run(request: Record<string, unknown>): Promise<void> {
    setError(null);
    setResult(`${String(request.action)}…`);
    try {
      setResult(JSON.stringify(await sendCommand(props.id, request), null, 2));
    } catch (err) {
      setResult(null);
      setError(errorText(err));
    }
  }

  async function update(): Promise<void> {
    const contents: Record<string, string> = {};
    const hashes: Record<string, string> = {};
    for (const file of files) {
      const text = await file.text();
      contents[file.name] = text;
      const hash = await sha256Hex(text);
      if (hash !== null) hashes[file.name] = hash;
    }
    await run({ action: 'update', files: contents, ...(Object.keys(hashes).length === files.length ? { sha256: hashes } : {}) });
  }

  return (
    <section class="card" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <div class="row wrap">
        <ConfirmButton label="Get info" question={`Ask ${props.id} for its resource information?`} disabled={!props.online} onConfirm={() => void run({ action: 'get_info' })} />
        <ConfirmButton label="Reset" danger question={`Restart ${props.id}? It goes offline for a moment.`} disabled={!props.online} onConfirm={() => void run({ action: 'reset' })} />
        <ConfirmButton label="Sleep" question={`Put ${props.id} to ${deep ? 'deep' : 'light'} sleep for ${sleepMs} ms? It does not answer meanwhile.`} disabled={!props.online} onConfirm={() => void run({ action: 'sleep', time_ms: sleepMs, deep })} />
        <label class="inline">Sleep ms <input type="number" min={1} step={100} value={sleepMs} onInput={(e) => setSleepMs(Number(e.currentTarget.value))} /></label>
        <label class="inline"><input type="checkbox" checked={deep} onChange={(e) => setDeep(e.currentTarget.checked)} /> deep</label>
      </div>
      <div class="row wrap">
        <label class="inline">Firmware files <input type="file" multiple accept=".py,.mpy,.json,.txt" onChange={(e) => setFiles([...(e.currentTarget.files ?? [])])} /></label>
        <ConfirmButton
          label="Update firmware"
          danger
          disabled={!props.online || files.length === 0}
          question={`Send ${files.map((f) => f.name).join(', ')} to ${props.id}? It verifies them, swaps them in and restarts (rolled back if they fail to start).`}
          onConfirm={() => void update()}
        />
      </div>
      <ErrorNote error={error} />
      {result !== null && <pre tabIndex={0} class="result" aria-label="Result">{result}</pre>}
    </section>
  );
}
