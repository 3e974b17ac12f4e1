/**
 * Sign-in in real Chromium: the link with #token= signs in and leaves the address bar
 * without it; a wrong pasted token is refused with the hub's sentence; sign-out returns
 * to the sign-in page, for good; the cookie alone cannot change state without the CSRF token.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, screenshot, seriousViolations } from './browser.js';
import type { Browser } from './browser.js';
import { startBrowserTestHub } from './hub-fixture.js';
import type { BrowserTestHub } from './hub-fixture.js';

describe('dashboard sign-in', () => {
  let t: BrowserTestHub;
  let browser: Browser;
  before(async () => {
    t = await startBrowserTestHub(['pico-1']);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('the bare URL answers 200 with the sign-in page; a wrong token is refused with a clear message', async () => {
    const page = await browser.newPage();
    const response = await page.goto(t.url + '/');
    assert.equal(response?.status(), 200);
    await page.getByLabel('API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /API token.*\(PL_ERR_UNAUTHORIZED\)$/s);
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'sign-in-refused');
    // The right token, pasted, signs in.
    await page.getByLabel('API token').fill(t.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    await page.close();
  });

  test('the printed link signs in, removes the token from the address bar, and sign-out ends the session', async () => {
    const page = await browser.newPage();
    await page.goto(t.signInLink());
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    assert.equal(new URL(page.url()).hash, '');
    assert.ok(!page.url().includes(t.token));
    await page.locator('tr[data-device="pico-1"] .badge.on').waitFor();
    // A reload keeps the session (the cookie, and GET /api/session for the CSRF token).
    await page.reload();
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    await page.reload();
    await page.getByLabel('API token').waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/devices')).status);
    assert.equal(status, 401);
    await page.close();
  });

  test('with the session cookie, a state-changing request without the CSRF token is refused', async () => {
    const page = await browser.newPage();
    await page.goto(t.signInLink());
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    const answers = await page.evaluate(async () => {
      const body = JSON.stringify({ action: 'ping' });
      const headers = { 'content-type': 'application/json' };
      const without = await fetch('/api/devices/pico-1/commands', { method: 'POST', headers, body });
      const { csrf } = (await (await fetch('/api/session')).json()) as { csrf: string };
      const withToken = await fetch('/api/devices/pico-1/commands', { method: 'POST', headers: { ...headers, 'x-csrf-token': csrf }, body });
      return { without: { status: without.status, body: (await without.json()) as { code?: string } }, with: withToken.status };
    });
    assert.equal(answers.without.status, 403);
    assert.equal(answers.without.body.code, 'PL_ERR_CSRF');
    assert.equal(answers.with, 200);
    await page.close();
  });
});
