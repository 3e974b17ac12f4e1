/**
 * Devices management in real Chromium: a device added in the page gets a token shown
 * once and its agent configuration to download; `picolink device --sim` started with
 * that token comes online in the fleet; rotating the token cuts it off; removing it forgets
 * it (listed from its history only). axe-core on the page with the credentials shown.
 */
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, screenshot, seriousViolations } from './browser.js';
import type { Browser } from './browser.js';
import { killChild, spawnSimDevice, startBrowserTestHub, until } from './hub-fixture.js';
import type { BrowserTestHub } from './hub-fixture.js';

describe('dashboard devices management', () => {
  let t: BrowserTestHub;
  let browser: Browser;
  let page: Page;
  let child: ChildProcess | undefined;
  before(async () => {
    t = await startBrowserTestHub(['pico-1']);
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(t.signInLink());
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('heading', { name: 'Add a device' }).waitFor();
  });
  after(async () => {
    if (child) await killChild(child);
    await browser?.close();
    await t?.close();
  });

  test('a device added in the page comes online with the token the page showed once', async () => {
    await page.getByLabel('Device id').fill('pico-new');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const token = (await page.locator('[data-field="token"]').innerText()).trim();
    assert.ok(token.length >= 16, `token "${token}"`);
    assert.ok((await page.locator('[data-field="telemetryKey"]').innerText()).trim().length >= 16);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download config.json' }).click()]);
    assert.equal(download.suggestedFilename(), 'config.json');
    const config = JSON.parse(readFileSync((await download.path()) ?? '', 'utf8')) as Record<string, unknown>;
    assert.ok(JSON.stringify(config).includes(token), 'config.json carries the token');
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'manage-added');
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.locator('[data-field="token"]').count(), 0, 'the token is shown only once');

    child = spawnSimDevice(t.hub.gatewayPort, 'pico-new', token);
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.locator('tr[data-device="pico-new"] .badge.on').waitFor({ timeout: 15_000 });
  });

  test('rotating the token cuts the device off; removing it forgets its credentials', async () => {
    await page.getByRole('link', { name: 'Devices' }).click();
    const row = page.locator('tr[data-device="pico-new"]');
    await row.getByRole('button', { name: 'Rotate token' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate token' }).click();
    await page.locator('[data-field="token"]').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.locator('tr[data-device="pico-new"] .badge.off').waitFor({ timeout: 10_000 });

    await page.getByRole('link', { name: 'Devices' }).click();
    await row.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    // Gone from the list: the hub forgets a removed device's record (its stored readings stay).
    await until(async () => (await row.count()) === 0, 'removed from the list', 10_000);
    assert.equal((await t.api('/api/devices/pico-new', { method: 'DELETE' })).status, 404);
  });

  test('adding an id that exists shows the error by the form', async () => {
    await page.getByLabel('Device id').fill('pico-1');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    assert.match(await page.getByRole('alert').innerText(), /PL_ERR_DEVICE_EXISTS/);
  });
});
