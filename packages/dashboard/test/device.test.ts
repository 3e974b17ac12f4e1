/**
 * The device page in real Chromium against a hub with a simulated device dialling home:
 * set up and toggle an output (checked through the SDK, not the page), a 2 s lease that
 * counts down and reverts, a watched input's change in the events log within 2 s, plots
 * that receive new points, the CSV of the shown range, the command console (form, RTT,
 * history, errors where they happened), an action behind its confirmation, axe-core.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { connect } from '@picolink/client';
import type { Device } from '@picolink/client';
import type { Page } from 'playwright-core';
import { launchBrowser, screenshot, seriousViolations } from './browser.js';
import type { Browser } from './browser.js';
import { startBrowserTestHub, until } from './hub-fixture.js';
import type { BrowserTestHub } from './hub-fixture.js';

describe('dashboard device page', () => {
  let t: BrowserTestHub;
  let browser: Browser;
  let page: Page;
  let sdk: Device;
  before(async () => {
    t = await startBrowserTestHub(['pico-1']);
    browser = await launchBrowser();
    sdk = await connect(`hub://${new URL(t.url).host}/devices/pico-1`, { token: t.token });
    page = await browser.newPage();
    await page.goto(t.signInLink());
    await page.getByRole('link', { name: 'pico-1' }).click();
    await page.getByRole('heading', { name: 'pico-1' }).waitFor();
    await page.getByRole('button', { name: 'Read ADC' }).waitFor();
  });
  after(async () => {
    await sdk?.close();
    await browser?.close();
    await t?.close();
  });

  async function setUp(pin: string, mode: 'input' | 'output', pull = 'none'): Promise<void> {
    const form = page.getByRole('form', { name: 'Set up a pin' });
    await form.getByLabel('Pin').selectOption(pin);
    await form.getByLabel('Mode').selectOption(mode);
    await form.getByLabel('Pull').selectOption(pull);
    await form.getByRole('button', { name: 'Set up' }).click();
    await page.locator(`tr[data-pin="${pin}"]`).waitFor();
  }

  test('an output set up and toggled in the page changes the device pin, seen through the SDK', async () => {
    await setUp('2', 'output');
    const toggle = page.locator('tr[data-pin="2"] button.toggle');
    await toggle.click();
    await page.locator('tr[data-pin="2"] .level[data-value="1"]').waitFor();
    assert.equal(await sdk.pin(2).read(), 1);
    await toggle.click();
    await page.locator('tr[data-pin="2"] .level[data-value="0"]').waitFor();
    assert.equal(await sdk.pin(2).read(), 0);
  });

  test('a 2 s lease counts down in the page and visibly reverts', async () => {
    await page.getByLabel('Lease for writes (s, 0 = none)').fill('2');
    const started = Date.now();
    await page.getByRole('button', { name: 'Turn on GPIO 2' }).click();
    const timer = page.getByRole('timer', { name: 'lease on 2' });
    await timer.waitFor();
    assert.match(await timer.innerText(), /reverts to 0 in [12]\.\d s/);
    assert.equal(await sdk.pin(2).read(), 1);
    // Later the countdown shows less.
    await until(async () => /in 0\.\d s/.test(await timer.innerText().catch(() => '')), 'countdown below 1 s', 3000);
    await timer.waitFor({ state: 'detached', timeout: 4000 });
    await page.locator('tr[data-pin="2"] .level[data-value="0"]').waitFor();
    assert.ok(Date.now() - started >= 1800, 'reverted before the lease ended');
    assert.equal(await sdk.pin(2).read(), 0);
    await page.getByLabel('Lease for writes (s, 0 = none)').fill('0');
  });

  test("a watched input's change appears in the events log and the pin panel within 2 s", async () => {
    await setUp('7', 'input', 'down');
    const device = t.devices.get('pico-1')?.device;
    assert.ok(device);
    const changed = Date.now();
    device.backend.setInputLevel(7, 1);
    await page.locator('tr.event[data-type="pin_change"]', { hasText: 'pin 7 → 1' }).waitFor({ timeout: 2000 });
    await page.locator('tr[data-pin="7"] .level[data-value="1"]').waitFor({ timeout: 2000 - (Date.now() - changed) });
  });

  test('a plot receives new points', async () => {
    const status = page.locator('[data-points]');
    await until(async () => Number(await status.getAttribute('data-points')) > 0, 'first points', 5000);
    const before = Number(await status.getAttribute('data-points'));
    await until(async () => Number(await status.getAttribute('data-points')) > before, 'new points appended', 5000);
    assert.ok((await page.locator('.plot-box canvas').count()) >= 2, 'one plot per metric');
  });

  test('the CSV download has the rows of the shown range', async () => {
    const link = page.getByRole('link', { name: 'Download CSV' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    // The span shown slides with time: take the one the download asked for.
    const query = new URL(download.url()).searchParams;
    assert.ok(Number(query.get('to')) - Number(query.get('from')) >= 5 * 60_000 - 1000, 'the whole 5 minutes shown');
    const csv = readFileSync((await download.path()) ?? '', 'utf8').trim().split('\r\n');
    assert.equal(csv[0], 'time,iso_time,device,metric,value');
    const answer = (await (await t.api(`/api/devices/pico-1/telemetry?from=${query.get('from')}&to=${query.get('to')}&limit=100000`)).json()) as { rows: unknown[] };
    assert.ok(answer.rows.length > 0);
    assert.equal(csv.length - 1, answer.rows.length);
  });

  test('zoom and pan change the span shown, and the CSV link follows it', async () => {
    const link = page.getByRole('link', { name: 'Download CSV' });
    const span = async (): Promise<{ from: number; to: number }> => {
      const query = new URL((await link.getAttribute('href')) ?? '', t.url).searchParams;
      return { from: Number(query.get('from')), to: Number(query.get('to')) };
    };
    const whole = await span();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await until(async () => {
      const zoomed = await span();
      return Math.abs((zoomed.to - zoomed.from) * 2 - (whole.to - whole.from)) < 2000;
    }, 'half the span after zooming in');
    const before = await span();
    await page.getByRole('button', { name: 'Pan left' }).click();
    // A quarter of the zoomed span: 37.5 s.
    await until(async () => (await span()).to < before.to - 30_000, 'the span moved left');
    await page.getByRole('button', { name: 'Reset zoom' }).click();
    await until(async () => {
      const reset = await span();
      return Math.abs(reset.to - reset.from - 5 * 60_000) < 2000;
    }, 'the whole 5 minutes again');
  });

  test('the console sends a request from the generated form, shows the answer, its round trip and keeps a history', async () => {
    const console = page.locator('section.console');
    await console.getByLabel('Action').selectOption('read_pin');
    await console.getByLabel('pin *').fill('2');
    const json = console.getByLabel('Request JSON (Up/Down: history)');
    assert.equal(await json.inputValue(), '{"action":"read_pin","pin":2}');
    await console.getByRole('button', { name: 'Send' }).click();
    await console.getByText(/Answered in \d+\.\d ms/).waitFor();
    assert.match(await console.getByLabel('Response').innerText(), /"value": 0/);
    // A device's refusal and a request the hub refuses both show where they were sent.
    await json.fill('{"action":"read_pin","pin":9}');
    await console.getByRole('button', { name: 'Send' }).click();
    await console.getByText(/The device refused it/).waitFor();
    assert.match(await console.getByLabel('Response').innerText(), /PL_ERR_PIN_NOT_SETUP/);
    await json.fill('{"action":"write_pin"}');
    await console.getByRole('button', { name: 'Send' }).click();
    assert.match(await console.getByRole('alert').innerText(), /missing fields.*PL_ERR_MISSING_FIELD/s);
    // Up walks back through what was sent.
    await json.focus();
    await page.keyboard.press('ArrowUp');
    assert.equal(await json.inputValue(), '{"action":"write_pin"}');
    await page.keyboard.press('ArrowUp');
    assert.equal(await json.inputValue(), '{"action":"read_pin","pin":9}');
    await page.keyboard.press('ArrowDown');
    assert.equal(await json.inputValue(), '{"action":"write_pin"}');
  });

  test('a device action runs only after its confirmation', async () => {
    const actions = page.locator('section', { has: page.getByRole('heading', { name: 'Actions' }) });
    await actions.getByRole('button', { name: 'Get info' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await actions.getByLabel('Result').count(), 0);
    await actions.getByRole('button', { name: 'Get info' }).click();
    await dialog.getByRole('button', { name: 'Get info' }).click();
    await until(async () => /mem_free/.test(await actions.getByLabel('Result').innerText().catch(() => '')), 'get_info result');
  });

  test('a firmware update from a file is sent with its SHA-256 after the confirmation', async () => {
    const actions = page.locator('section', { has: page.getByRole('heading', { name: 'Actions' }) });
    await actions.getByLabel('Firmware files').setInputFiles({ name: 'main.py', mimeType: 'text/x-python', buffer: Buffer.from('print("hello from the dashboard")\n') });
    await actions.getByRole('button', { name: 'Update firmware' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Update firmware' }).click();
    await until(async () => /"updated": \[\s*"main.py"\s*\]/.test(await actions.getByLabel('Result').innerText().catch(() => '')), 'update result', 10_000);
    const audit = (await (await t.api('/api/audit?device=pico-1&limit=20')).json()) as { audit: Array<{ action: string; request: { sha256?: Record<string, string> } }> };
    const update = audit.audit.find((r) => r.action === 'update');
    assert.match(update?.request.sha256?.['main.py'] ?? '', /^[0-9a-f]{64}$/);
  });

  test('ADC readings in volts and the temperature; axe-core finds nothing serious; no overflow at 375 px', async () => {
    await page.getByRole('button', { name: 'Read ADC' }).click();
    await page.getByText(/temperature: \d+\.\d °C/).waitFor();
    await page.getByText(/ADC0: \d\.\d{3} V/).waitFor();
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'device');
    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the device page is ${overflow} px wider than a 375 px screen`);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('longer ranges are bucketed and drawn with a min-max band', async () => {
    await page.getByLabel('Range').selectOption({ label: '1 h' });
    const status = page.locator('[data-points]');
    await until(async () => /6 s buckets/.test(await status.innerText()) && Number(await status.getAttribute('data-points')) > 0, '6 s buckets drawn');
    // Per metric: mean, min and max series in the legend.
    await page.locator('.u-legend', { hasText: 'temp_c min' }).first().waitFor();
    await page.getByLabel('Range').selectOption({ label: '5 min' });
  });

  test('a device gone offline: the page says so, and a command sent anyway shows PL_ERR_DEVICE_OFFLINE where it was sent', async () => {
    await t.devices.get('pico-1')?.device.close();
    await page.locator('.bar .badge.off', { hasText: 'offline' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByRole('button', { name: 'Read ADC' }).isDisabled(), true);
    const console = page.locator('section.console');
    await console.getByLabel('Request JSON (Up/Down: history)').fill('{"action":"ping"}');
    await console.getByRole('button', { name: 'Send' }).click();
    assert.match(await console.getByRole('alert').innerText(), /not connected to the hub.*PL_ERR_DEVICE_OFFLINE/s);
  });
});
