/**
 * Pin panel: the device's set-up pins with their mode and level; outputs toggle (with an
 * optional lease whose countdown shows until the pin reverts), inputs follow pin_change
 * events live, PWM pins have a duty slider; a form sets up any reported pin; ADC
 * channels read in volts, channel 4 as the internal temperature.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { sendCommand, sendCommands } from '../commands.js';
import { liveStream } from '../stream.js';
import { modesFromAudit, pinList, pinValue } from '../pin-state.js';
import type { PinState } from '../pin-state.js';
import type { AuditRecord, CommandResponse } from '../types.js';
import { ErrorNote } from './error-note.js';

type Pins = Map<string, PinState>;

function bit(value: unknown): 0 | 1 | null {
  return value === 0 || value === 1 ? value : null;
}

export function PinPanel(props: { id: string; online: boolean }) {
  const [reported, setReported] = useState<string[]>([]);
  const [pins, setPins] = useState<Pins>(new Map());
  const [errors, setErrors] = useState<Record<string, string | null>>({});
  const [leaseS, setLeaseS] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const [setup, setSetup] = useState({ pin: 'LED', mode: 'output', pull: 'none', value: '0', safe: '0' });
  const [adc, setAdc] = useState<CommandResponse[] | null>(null);

  const fail = (where: string, err: unknown): void => setErrors((e) => ({ ...e, [where]: err === null ? null : errorText(err) }));
  const update = (pin: string, patch: Partial<PinState>): void =>
    setPins((old) => {
      const next = new Map(old);
      next.set(pin, { ...(old.get(pin) ?? { pin, mode: null, value: null }), ...patch });
      return next;
    });

  async function load(): Promise<void> {
    try {
      const info = await sendCommand(props.id, { action: 'get_info' });
      const list = pinList(((info.info as { pins?: number[] } | undefined)?.pins ?? []).filter((p) => typeof p === 'number'));
      setReported(list);
      const { audit } = await api<{ audit: AuditRecord[] }>('GET', `/api/audit?device=${encodeURIComponent(props.id)}&limit=1000`);
      const modes = modesFromAudit(audit);
      const known = [...modes.entries()].filter(([pin]) => list.includes(pin));
      const reads = known.length === 0 ? [] : await sendCommands(props.id, known.map(([pin]) => ({ action: 'read_pin', pin: pinValue(pin) })));
      const next: Pins = new Map();
      known.forEach(([pin, mode], i) => {
        const read = reads[i];
        // A pin the device no longer has set up (it restarted) shows as not set up.
        const forgotten = read?.ok === false;
        next.set(pin, { pin, value: bit(read?.value), ...mode, mode: forgotten ? null : (mode.mode ?? null) });
      });
      setPins(next);
      fail('panel', null);
    } catch (err) {
      fail('panel', err);
    }
  }

  useEffect(() => {
    if (props.online) void load();
    return liveStream.subscribe((message) => {
      if (message.type !== 'event' || message.device !== props.id || message.event.type !== 'pin_change') return;
      const { pin, value } = message.event.data;
      update(String(pin), { value: bit(value) });
    });
  }, [props.id, props.online]);

  const leases = [...pins.values()].filter((p) => p.lease !== undefined);
  useEffect(() => {
    if (leases.length === 0) return;
    const timer = setInterval(() => {
      const t = Date.now();
      setNow(t);
      for (const p of leases) {
        if (p.lease !== undefined && p.lease.until <= t) {
          update(p.pin, { value: p.lease.revertsTo, lease: undefined });
          // Confirm the revert with the device itself.
          void sendCommand(props.id, { action: 'read_pin', pin: pinValue(p.pin) }).then((r) => update(p.pin, { value: bit(r.value) }), (err: unknown) => fail(p.pin, err));
        }
      }
    }, 100);
    return () => clearInterval(timer);
  }, [leases.length, leases.map((p) => p.pin).join()]);

  async function toggle(p: PinState): Promise<void> {
    const value = p.value === 1 ? 0 : 1;
    fail(p.pin, null);
    try {
      const r = await sendCommand(props.id, { action: 'write_pin', pin: pinValue(p.pin), value, ...(leaseS > 0 ? { timeout: leaseS } : {}) });
      const lease = typeof r.lease_ms === 'number' && r.lease_ms > 0 ? { until: Date.now() + r.lease_ms, revertsTo: bit(r.reverts_to) ?? (value === 1 ? 0 : 1) } : undefined;
      if (lease !== undefined) setNow(Date.now());
      update(p.pin, { value, lease });
    } catch (err) {
      fail(p.pin, err);
    }
  }

  async function pwm(p: PinState, duty: number, freq: number): Promise<void> {
    fail(p.pin, null);
    try {
      await sendCommand(props.id, { action: 'set_pwm', pin: pinValue(p.pin), freq, duty });
      update(p.pin, { mode: 'pwm', duty, freq });
    } catch (err) {
      fail(p.pin, err);
    }
  }

  async function doSetup(event: Event): Promise<void> {
    event.preventDefault();
    fail('setup', null);
    const pin = pinValue(setup.pin);
    const request: Record<string, unknown> =
      setup.mode === 'input'
        ? { action: 'setup_pin', pin, mode: 'input', pull: setup.pull }
        : { action: 'setup_pin', pin, mode: 'output', pull: setup.pull, value: Number(setup.value), safe: Number(setup.safe) };
    try {
      const r = await sendCommand(props.id, request);
      if (setup.mode === 'input') await sendCommand(props.id, { action: 'watch_pin', pin, edge: 'both' });
      update(setup.pin, { mode: setup.mode === 'input' ? 'input' : 'output', pull: setup.pull, value: bit(r.value), lease: undefined, ...(setup.mode === 'output' ? { safe: Number(setup.safe) } : {}) });
    } catch (err) {
      fail('setup', err);
    }
  }

  async function readAdc(): Promise<void> {
    fail('adc', null);
    try {
      setAdc(await sendCommands(props.id, [0, 1, 2, 3, 4].map((channel) => ({ action: 'read_adc', channel }))));
    } catch (err) {
      fail('adc', err);
    }
  }

  const shown = [...pins.values()].filter((p) => p.mode !== null).sort((a, b) => reported.indexOf(a.pin) - reported.indexOf(b.pin));
  return (
    <section class="card pins" aria-labelledby="pins-title">
      <h2 id="pins-title">Pins</h2>
      <ErrorNote error={errors.panel ?? null} />
      <label class="inline">Lease for writes (s, 0 = none) <input id="lease-seconds" type="number" min={0} max={604800} step={1} value={leaseS} onInput={(e) => setLeaseS(Number(e.currentTarget.value))} /></label>
      {shown.length > 0 && <table>
        <thead><tr><th scope="col">Pin</th><th scope="col">Mode</th><th scope="col">Level</th><th scope="col">Control</th></tr></thead>
        <tbody>
          {shown.map((p) => (
            <tr key={p.pin} data-pin={p.pin}>
              <th scope="row">{p.pin === 'LED' ? 'LED' : `GPIO ${p.pin}`}</th>
              <td>{p.mode}{p.pull !== undefined && p.pull !== 'none' && p.mode === 'input' ? ` (pull-${p.pull})` : ''}</td>
              <td class="level" data-value={p.value ?? ''}>{p.mode === 'pwm' ? `${Math.round((p.duty ?? 0) * 100)} %` : p.value === null ? '—' : p.value === 1 ? 'high' : 'low'}</td>
              <td>
                {p.mode === 'output' && (
                  <button type="button" class="toggle" aria-label={`${p.value === 1 ? 'Turn off' : 'Turn on'} ${p.pin === 'LED' ? 'LED' : `GPIO ${p.pin}`}`} onClick={() => void toggle(p)} disabled={!props.online}>
                    {p.value === 1 ? 'Turn off' : 'Turn on'}
                  </button>
                )}
                {p.lease !== undefined && (
                  <span class="lease" role="timer" aria-label={`lease on ${p.pin}`}> reverts to {p.lease.revertsTo} in {Math.max(0, (p.lease.until - now) / 1000).toFixed(1)} s</span>
                )}
                {p.mode === 'pwm' && (
                  <label class="inline">duty
                    <input type="range" min={0} max={100} step={1} value={Math.round((p.duty ?? 0) * 100)} aria-label={`PWM duty of GPIO ${p.pin} in percent`} onChange={(e) => void pwm(p, Number(e.currentTarget.value) / 100, p.freq ?? 1000)} />
                  </label>
                )}
                {p.mode === 'output' && p.pin !== 'LED' && (
                  <button type="button" class="small" onClick={() => void pwm(p, 0.5, 1000)} disabled={!props.online}>PWM</button>
                )}
                <ErrorNote error={errors[p.pin] ?? null} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>}
      {shown.length === 0 && <p class="muted">No pin set up yet.</p>}
      <form class="setup row wrap" onSubmit={(e) => void doSetup(e)} aria-label="Set up a pin">
        <label class="inline">Pin
          <select value={setup.pin} onChange={(e) => setSetup({ ...setup, pin: e.currentTarget.value })}>
            {reported.map((p) => <option key={p} value={p}>{p === 'LED' ? 'LED' : `GPIO ${p}`}</option>)}
          </select>
        </label>
        <label class="inline">Mode
          <select value={setup.mode} onChange={(e) => setSetup({ ...setup, mode: e.currentTarget.value })}>
            <option value="output">output</option><option value="input">input</option>
          </select>
        </label>
        <label class="inline">Pull
          <select value={setup.pull} onChange={(e) => setSetup({ ...setup, pull: e.currentTarget.value })}>
            <option value="none">none</option><option value="up">up</option><option value="down">down</option>
          </select>
        </label>
        {setup.mode === 'output' && (
          <>
            <label class="inline">Initial
              <select value={setup.value} onChange={(e) => setSetup({ ...setup, value: e.currentTarget.value })}><option value="0">0</option><option value="1">1</option></select>
            </label>
            <label class="inline">Safe
              <select value={setup.safe} onChange={(e) => setSetup({ ...setup, safe: e.currentTarget.value })}><option value="0">0</option><option value="1">1</option></select>
            </label>
          </>
        )}
        <button type="submit" disabled={!props.online}>Set up</button>
        <ErrorNote error={errors.setup ?? null} />
      </form>
      <div class="row wrap adc">
        <button type="button" onClick={() => void readAdc()} disabled={!props.online}>Read ADC</button>
        {adc?.map((r, channel) => (
          <span key={channel} class="reading">
            {channel === 4 ? 'temperature' : `ADC${channel}`}: {r.ok === false ? (r.code ?? 'error') : channel === 4 && typeof r.temperature_c === 'number' ? `${r.temperature_c.toFixed(1)} °C` : `${Number(r.volts).toFixed(3)} V`}
          </span>
        ))}
        <ErrorNote error={errors.adc ?? null} />
      </div>
    </section>
  );
}
