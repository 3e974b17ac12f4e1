/**
 * Devices management: add a device (the hub draws its token and telemetry key and shows
 * them once, with the agent's config.json to download), remove one, rotate its token.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, devicePath, errorText } from '../api.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { ErrorNote } from '../components/error-note.js';
import type { DeviceCredentials, DeviceView } from '../types.js';

function Credentials(props: { credentials: DeviceCredentials; onDismiss: () => void }) {
  const c = props.credentials;
  const configText = JSON.stringify(c.config, null, 2) + '\n';
  const href = `data:application/json;charset=utf-8,${encodeURIComponent(configText)}`;
  return (
    <section class="card secret" aria-labelledby="secret-title" role="region">
      <h2 id="secret-title">Credentials of {c.id}</h2>
      <p><strong>Shown only now.</strong> Copy them or download the agent's configuration; the hub keeps only what it needs to check them.</p>
      <dl>
        <dt>Token</dt><dd><code class="token" data-field="token">{c.token}</code></dd>
        <dt>Telemetry key</dt><dd><code data-field="telemetryKey">{c.telemetryKey}</code></dd>
      </dl>
      <div class="row wrap">
        <a class="button primary" href={href} download="config.json">Download config.json</a>
        <button type="button" onClick={props.onDismiss}>Done</button>
      </div>
      <details><summary>config.json</summary><pre tabIndex={0}>{configText}</pre></details>
    </section>
  );
}

export function ManagePage() {
  const [devices, setDevices] = useState<DeviceView[] | null>(null);
  const [form, setForm] = useState({ id: '', ssid: '', password: '' });
  const [credentials, setCredentials] = useState<DeviceCredentials | null>(null);
  const [errors, setErrors] = useState<Record<string, string | null>>({});
  const fail = (where: string, err: unknown): void => setErrors((e) => ({ ...e, [where]: err === null ? null : errorText(err) }));

  async function load(): Promise<void> {
    try {
      setDevices((await api<{ devices: DeviceView[] }>('GET', '/api/devices')).devices);
      fail('list', null);
    } catch (err) {
      fail('list', err);
    }
  }
  useEffect(() => void load(), []);

  async function add(event: Event): Promise<void> {
    event.preventDefault();
    fail('add', null);
    const body: Record<string, string> = { id: form.id.trim() };
    if (form.ssid !== '') body.ssid = form.ssid;
    if (form.password !== '') body.password = form.password;
    try {
      setCredentials(await api<DeviceCredentials>('POST', '/api/devices', body));
      setForm({ id: '', ssid: '', password: '' });
      await load();
    } catch (err) {
      fail('add', err);
    }
  }

  async function remove(id: string): Promise<void> {
    fail(id, null);
    try {
      await api<void>('DELETE', devicePath(id));
      await load();
    } catch (err) {
      fail(id, err);
    }
  }

  async function rotate(id: string): Promise<void> {
    fail(id, null);
    try {
      setCredentials(await api<DeviceCredentials>('POST', devicePath(id, '/token')));
    } catch (err) {
      fail(id, err);
    }
  }

  return (
    <section aria-labelledby="manage-title">
      <h1 id="manage-title">Devices</h1>
      {credentials && <Credentials credentials={credentials} onDismiss={() => setCredentials(null)} />}
      <form class="card row wrap" onSubmit={(e) => void add(e)} aria-labelledby="add-title">
        <h2 id="add-title" class="full">Add a device</h2>
        <label class="inline">Device id <input name="id" required pattern="[A-Za-z0-9_.\-]{1,64}" value={form.id} onInput={(e) => setForm({ ...form, id: e.currentTarget.value })} /></label>
        <label class="inline">WiFi name (optional) <input name="ssid" value={form.ssid} onInput={(e) => setForm({ ...form, ssid: e.currentTarget.value })} /></label>
        <label class="inline">WiFi password (optional) <input name="password" type="password" autocomplete="off" value={form.password} onInput={(e) => setForm({ ...form, password: e.currentTarget.value })} /></label>
        <button type="submit" class="primary">Add</button>
        <ErrorNote error={errors.add ?? null} />
      </form>
      <ErrorNote error={errors.list ?? null} />
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Device</th><th scope="col">State</th><th scope="col">Source</th><th scope="col">Manage</th></tr></thead>
          <tbody>
            {devices?.map((d) => (
              <tr key={d.id} data-device={d.id}>
                <th scope="row"><a href={`/devices/${encodeURIComponent(d.id)}`}>{d.id}</a></th>
                <td><span class={d.online ? 'badge on' : 'badge off'}>{d.online ? 'online' : 'offline'}</span></td>
                <td class="source">{d.managed === true ? 'added here' : d.configured ? 'configuration file' : 'stored history'}</td>
                <td>
                  {d.managed !== true && <span class="muted">{d.configured ? 'edit the configuration file' : '—'}</span>}
                  {d.managed === true && <div class="row wrap">
                    <ConfirmButton label="Rotate token" question={`Draw a new token and telemetry key for ${d.id}? The old ones stop working at once and a connected device is disconnected.`} onConfirm={() => void rotate(d.id)} />
                    <ConfirmButton label="Remove" danger question={`Remove ${d.id}? Its link is closed and its credentials forgotten; its stored telemetry stays.`} onConfirm={() => void remove(d.id)} />
                  </div>}
                  <ErrorNote error={errors[d.id] ?? null} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
