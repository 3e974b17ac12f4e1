/**
 * The hub's health line on the fleet page, in real Chromium: a hub bridged to a real
 * Mosquitto shows its id and "MQTT connected"; once the broker is gone and the hub's
 * telemetry has nowhere to go, the line says disconnected and shows the drops; a health
 * request that fails leaves a quiet "health unavailable", the fleet still there; the
 * line fits a 375 px screen.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { startMosquitto } from '@picolink/test-kit/mosquitto';
import type { MosquittoBroker } from '@picolink/test-kit/mosquitto';
import { launchBrowser, screenshot, seriousViolations } from './browser.js';
import type { Browser } from './browser.js';
import { startBrowserTestHub, until } from './hub-fixture.js';
import type { BrowserTestHub } from './hub-fixture.js';

describe('dashboard fleet: hub health', () => {
  let browser: Browser;
  let broker: MosquittoBroker;
  let t: BrowserTestHub;
  before(async () => {
    browser = await launchBrowser();
    broker = await startMosquitto();
    t = await startBrowserTestHub(['pico-1'], { mqtt: { url: broker.url }, started: [] });
    // Readings that arrive before the bridge's first connection are dropped: the device starts after it.
    await until(async () => ((await (await fetch(`${t.url}/api/health`)).json()) as { mqtt: { connected: boolean } }).mqtt.connected, 'the bridge connects', 10_000);
    // A reading every 250 ms: the bridge always has something to publish.
    await t.startDevice('pico-1');
  });
  after(async () => {
    await t?.close();
    await broker?.stop();
    await browser?.close();
  });

  test('MQTT connected, then disconnected with a dropped count once the broker is gone', async () => {
    const { hubId } = (await (await fetch(`${t.url}/api/health`)).json()) as { hubId: string };
    const page = await browser.newPage({ width: 375, height: 800 });
    await page.goto(t.signInLink());
    const line = page.getByLabel('Hub health');
    await line.getByText('MQTT connected').waitFor({ timeout: 10_000 });
    assert.equal(await line.locator('strong').innerText(), hubId);
    assert.match(await line.locator('[data-health="mqtt-published"]').innerText(), /^published \d+$/);
    assert.equal(await line.locator('[data-health="mqtt-dropped"]').getAttribute('class'), null, 'no drops yet, nothing highlighted');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 375 px screen`);
    assert.deepEqual(await seriousViolations(page), []);

    await broker.shutdown();
    // Focus reads the health again at once (the line also refreshes every 10 s on its own).
    const deadline = Date.now() + 15_000;
    const dropped = line.locator('[data-health="mqtt-dropped"].bad');
    while (!(await dropped.isVisible()) && Date.now() < deadline) {
      await page.evaluate(() => window.dispatchEvent(new Event('focus')));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.match(await dropped.innerText(), /^dropped [1-9]\d*$/);
    assert.equal(await line.locator('[data-health="mqtt"]').innerText(), 'MQTT disconnected');
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'fleet-health-mqtt-down');
    await page.close();
  });

  test('a health request that fails shows "health unavailable", and the fleet is still there', async () => {
    const page = await browser.newPage();
    await page.route('**/api/health', (route) => route.abort());
    await page.goto(t.signInLink());
    await page.locator('tr[data-device="pico-1"]').waitFor();
    await page.getByText('health unavailable').waitFor();
    assert.equal(await page.locator('.error').count(), 0, 'no error shown for the health line');
    await page.close();
  });
});
