/**
 * The fleet page in real Chromium: the demo's three devices online (picolink demo run as
 * a child process, as npm start does); a device that stops shows offline within its
 * heartbeat window; filter and sort; usable at 375 px; axe-core finds nothing serious.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, screenshot, seriousViolations } from './browser.js';
import type { Browser } from './browser.js';
import { CLI, HEARTBEAT_MS, startBrowserTestHub } from './hub-fixture.js';
import type { BrowserTestHub } from './hub-fixture.js';

/** `picolink demo --port 0 --json` in a child process; resolves with its URL and token. */
async function startDemo(dataDir: string): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawn(process.execPath, [CLI, 'demo', '--port', '0', '--json', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`picolink demo printed nothing in 20 s; stderr: ${err}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) return;
      clearTimeout(timer);
      const parsed = JSON.parse(line) as { url: string; token: string };
      resolve({ child, url: parsed.url, token: parsed.token });
    });
    child.once('exit', (code) => reject(new Error(`picolink demo exited with ${code}; stderr: ${err}`)));
  });
}

describe('dashboard fleet', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test("the fleet shows the demo's three devices online", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'picolink-demo-'));
    const demo = await startDemo(dataDir);
    try {
      const page = await browser.newPage();
      await page.goto(`${demo.url}/#token=${encodeURIComponent(demo.token)}`);
      for (const id of ['pico-kitchen', 'pico-garage', 'sensor-garden']) {
        await page.locator(`tr[data-device="${id}"]`).waitFor({ timeout: 10_000 });
      }
      // The garden only sends telemetry; the other two have live links.
      await page.locator('tr[data-device="pico-kitchen"] .badge.on').waitFor();
      await page.locator('tr[data-device="pico-garage"] .badge.on').waitFor();
      assert.equal(await page.locator('tr[data-device="sensor-garden"] td[data-label="Mode"]').innerText(), 'telemetry only');
      assert.equal(await page.locator('tr[data-device="sensor-garden"] .badge.on').innerText(), 'sending');
      await page.locator('tr[data-device="sensor-garden"] td[data-label="Telemetry rate"]', { hasText: '/s' }).waitFor({ timeout: 10_000 });
      assert.deepEqual(await seriousViolations(page), []);
      await screenshot(page, 'fleet-demo');
      await page.close();
    } finally {
      demo.child.kill('SIGINT');
      await new Promise((resolve) => demo.child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('with devices the test controls', () => {
    let t: BrowserTestHub;
    before(async () => {
      t = await startBrowserTestHub(['pico-1', 'pico-2', 'sensor-10'], { started: ['pico-1', 'sensor-10'] });
    });
    after(async () => {
      await t?.close();
    });

    test('a device that stops shows offline within its heartbeat window', async () => {
      const child = await t.startDeviceProcess('pico-2');
      const page = await browser.newPage();
      await page.goto(t.signInLink());
      await page.locator('tr[data-device="pico-2"] .badge.on').waitFor();
      // The device freezes without a word (no FIN, no closing event): only heartbeats can tell.
      const stopped = Date.now();
      child.kill('SIGSTOP');
      // Three silent heartbeat intervals close the link; the margin is for a loaded machine.
      await page.locator('tr[data-device="pico-2"] .badge.off').waitFor({ timeout: 3 * HEARTBEAT_MS + 4000 });
      const tookMs = Date.now() - stopped;
      assert.ok(tookMs >= 2 * HEARTBEAT_MS, `offline after ${tookMs} ms: before the heartbeat could tell`);
      assert.equal(await page.locator('tr[data-device="pico-1"] .badge').innerText(), 'online');
      await page.close();
    });

    test('filter by text and sort by a clicked column', async () => {
      const page = await browser.newPage();
      await page.goto(t.signInLink());
      await page.locator('tr[data-device="sensor-10"]').waitFor();
      const ids = async (): Promise<string[]> => page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device') ?? ''));
      assert.deepEqual(await ids(), ['pico-1', 'pico-2', 'sensor-10']);
      await page.getByRole('button', { name: 'Device' }).click();
      assert.deepEqual(await ids(), ['sensor-10', 'pico-2', 'pico-1']);
      assert.match(await page.locator('th[aria-sort="descending"]').innerText(), /^Device\s*▼$/);
      await page.getByLabel('Filter').fill('sensor');
      assert.deepEqual(await ids(), ['sensor-10']);
      await page.close();
    });

    test('usable at 375 px, keyboard reachable, light and dark', async () => {
      for (const dark of [false, true]) {
        const page = await browser.newPage({ width: 375, height: 800, dark });
        await page.goto(t.signInLink());
        await page.locator('tr[data-device="pico-1"]').waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 375 px screen`);
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(background, dark ? 'rgb(15, 18, 22)' : 'rgb(246, 247, 249)');
        // Tab reaches the first device's link.
        let reached = false;
        for (let i = 0; i < 25 && !reached; i++) {
          await page.keyboard.press('Tab');
          reached = await page.evaluate(() => document.activeElement?.textContent === 'pico-1');
        }
        assert.ok(reached, 'Tab never reached the link to pico-1');
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { name: 'pico-1' }).waitFor();
        assert.deepEqual(await seriousViolations(page), []);
        await screenshot(page, `device-375px-${dark ? 'dark' : 'light'}`);
        await page.close();
      }
    });
  });
});
