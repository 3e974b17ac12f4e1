/**
 * The network tools page in real Chromium against a real hub: the tutorials' exchanges
 * done from the page with Node sockets standing in for the Pico W (tutorial E both ways,
 * tutorial A over UDP to `startTextServer` in hello mode, tutorial C's NUL framing), a
 * 50 MB flood into one session while another echoes, sessions kept across a reload, TLS
 * fingerprints seen and pinned, a closed session's port free again, errors shown where the
 * person acted; axe-core and screenshots (light, dark, 375 px).
 *
 * Bounds: every wait ends within 15 s; the flood is 50 MB once.
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { generateCertificate } from '@picolink/client';
import { after, before, describe, test } from 'node:test';
import { startTextServer } from '@picolink/nettools';
import type { RunningTextServer } from '@picolink/nettools';
import type { Page } from 'playwright-core';
import { launchBrowser, screenshot, seriousViolations } from './browser.js';
import type { Browser } from './browser.js';
import { startBrowserTestHub, until } from './hub-fixture.js';
import type { BrowserTestHub } from './hub-fixture.js';

interface Session {
  id: string;
  name: string;
  state: string;
  localPort?: number;
  droppedBytes: number;
  peers?: { id: string; address: string }[];
}
interface Entry {
  seq: number;
  dir: string;
  peer?: string;
  data: string;
}

/** A TCP server on 127.0.0.1:0 whose connections are handed to `onSocket`. */
async function tcpServer(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port };
}

/** Everything a socket receives, as text. */
function collect(socket: Socket): { text: () => string } {
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  return { text: () => text };
}

describe('dashboard network tools', () => {
  let t: BrowserTestHub;
  let browser: Browser;
  let page: Page;
  const cleanup: (() => Promise<void> | void)[] = [];

  async function sessionNamed(name: string): Promise<Session> {
    const { sessions } = (await (await t.api('/api/nettools/sessions')).json()) as { sessions: Session[] };
    const session = sessions.find((s) => s.name === name);
    assert.ok(session, `session ${name} in the hub`);
    return session;
  }

  async function entries(id: string): Promise<Entry[]> {
    return ((await (await t.api(`/api/nettools/sessions/${id}/log?after=0`)).json()) as { entries: Entry[] }).entries;
  }

  /** Fills the create form and opens a session; returns it once the hub lists it. */
  async function open(kind: string, name: string, fields: { host?: string; port?: number; localPort?: number; framing?: string; fingerprint?: string }): Promise<Session> {
    await page.getByLabel('Kind').selectOption({ label: kind });
    await page.getByLabel('Name (optional)').fill(name);
    if (fields.host !== undefined) await page.locator('#net-host').fill(fields.host);
    if (fields.port !== undefined) await page.locator('#net-port').fill(String(fields.port));
    if (fields.localPort !== undefined) await page.getByLabel('Local port (0: any free)').fill(String(fields.localPort));
    if (fields.framing !== undefined) await page.getByLabel('Received messages end at').selectOption(fields.framing);
    if (fields.fingerprint !== undefined) await page.getByLabel(/^Certificate fingerprint/).fill(fields.fingerprint);
    await page.locator('form.create button[type="submit"]').click();
    await page.getByRole('tab', { name: new RegExp(`^${name} `) }).waitFor();
    await until(async () => (await page.getByRole('tab', { selected: true }).innerText()).includes(name), `${name} selected`);
    return sessionNamed(name);
  }

  async function selectTab(name: string): Promise<void> {
    await page.getByRole('tab', { name: new RegExp(`^${name} `) }).click();
  }

  /** Types into the selected session's send box and sends it. */
  async function send(text: string, options: { ending?: string; as?: 'text' | 'hex' } = {}): Promise<void> {
    const panel = page.getByRole('tabpanel');
    await panel.getByLabel('Line ending').selectOption(options.ending ?? 'lf');
    await panel.getByLabel('As', { exact: true }).selectOption(options.as ?? 'text');
    await panel.getByLabel(/^Message/).fill(text);
    await panel.getByRole('button', { name: 'Send', exact: true }).click();
  }

  /** The data cells of the selected session's log rows in one direction. */
  async function logData(dir: 'in' | 'out' | 'info'): Promise<string[]> {
    return page.getByRole('tabpanel').locator(`tr.entry[data-dir="${dir}"] td.data`).allInnerTexts();
  }

  before(async () => {
    t = await startBrowserTestHub([], { started: [], nettools: { maxReceiveBytesPerSecond: 1024 * 1024, bindHost: '127.0.0.1' } });
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(t.signInLink());
    await page.getByRole('link', { name: 'Network tools' }).click();
    await page.getByRole('heading', { name: 'Open a session' }).waitFor();
  });
  after(async () => {
    for (const step of cleanup.reverse()) await step();
    await browser?.close();
    await t?.close();
  });

  test("the hub's own addresses are listed; no serious axe violations on the empty page", async () => {
    await page.getByRole('heading', { name: "This hub's addresses" }).waitFor();
    await page.locator('.addresses code', { hasText: '127.0.0.1' }).waitFor();
    assert.deepEqual(await seriousViolations(page), []);
  });

  test('tutorial E, board as client: a Node socket connects to the page\'s TCP server; its message shows, the reply with LF arrives', async () => {
    const session = await open('TCP server', 'sketch-server', { localPort: 0, framing: 'lf' });
    assert.equal(session.state, 'listening');
    assert.ok(session.localPort !== undefined && session.localPort >= 1024, `bound port ${String(session.localPort)}`);
    const board = connect(session.localPort, '127.0.0.1');
    cleanup.push(() => void board.destroy());
    const received = collect(board);
    await once(board, 'connect');
    const boardAddress = `127.0.0.1:${board.localPort ?? 0}`;
    await page.getByRole('tabpanel').locator(`[data-peer="${boardAddress}"]`).waitFor();
    board.write('hello from the Pico W\n');
    await until(async () => (await logData('in')).includes('hello from the Pico W'), 'board message in the log');
    const row = page.getByRole('tabpanel').locator('tr.entry[data-dir="in"]').last();
    assert.equal(await row.locator('td.peer').innerText(), boardAddress, 'the peer is shown');
    assert.match(await row.locator('td.t').innerText(), /^\d\d:\d\d:\d\d\.\d{3}$/);

    await send('hi board', { ending: 'lf' });
    await until(() => received.text() === 'hi board\n', `reply arrives with LF (got ${JSON.stringify(received.text())})`);
    await until(async () => (await logData('out')).some((d) => d.includes('hi board')), 'the reply is logged as sent');

    // Send to one peer of two.
    const second = connect(session.localPort, '127.0.0.1');
    cleanup.push(() => void second.destroy());
    const secondReceived = collect(second);
    await once(second, 'connect');
    const secondAddress = `127.0.0.1:${second.localPort ?? 0}`;
    await page.getByRole('tabpanel').locator(`[data-peer="${secondAddress}"]`).getByRole('button', { name: 'Send to this one' }).click();
    await page.getByRole('heading', { name: `Send to ${secondAddress}` }).waitFor();
    await send('only you', { ending: 'crlf' });
    await until(() => secondReceived.text() === 'only you\r\n', 'the picked peer gets it with CRLF');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(received.text(), 'hi board\n', 'the other peer does not');
    second.destroy();
    await page.getByRole('tabpanel').locator(`[data-peer="${secondAddress}"]`).waitFor({ state: 'detached' });

    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'network-tools-server');
  });

  test('tutorial E, board as server: the page\'s TCP client connects to a Node server; both directions arrive', async () => {
    let boardSide: Socket | undefined;
    const { server, port } = await tcpServer((socket) => {
      boardSide = socket;
      socket.write('ready\n');
    });
    cleanup.push(() => void server.close());
    await open('TCP client', 'sketch-client', { host: '127.0.0.1', port, framing: 'lf' });
    await until(async () => (await logData('in')).includes('ready'), 'the server\'s greeting in the log');
    assert.equal((await sessionNamed('sketch-client')).state, 'open');
    await page.getByRole('tabpanel').getByRole('button', { name: 'Disconnect' }).waitFor();
    assert.ok(boardSide);
    const received = collect(boardSide);
    await send('typed in the page', { ending: 'lf' });
    await until(() => received.text() === 'typed in the page\n', 'the page\'s message arrives at the server');
    boardSide.write('and back\n');
    await until(async () => (await logData('in')).includes('and back'), 'the reverse direction');

    // Up brings back what was sent; Copy puts the log on the clipboard as text.
    const box = page.getByRole('tabpanel').getByLabel(/^Message/);
    await box.fill('');
    await box.press('ArrowUp');
    assert.equal(await box.inputValue(), 'typed in the page', 'Up: the last line sent');
    await box.press('ArrowDown');
    assert.equal(await box.inputValue(), '', 'Down: back to an empty line');
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    await page.getByRole('tabpanel').getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('tabpanel').getByText(/^Copied \d+ entries\.$/).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /^\d\d:\d\d:\d\d\.\d{3} out( 127\.0\.0\.1:\d+)? typed in the page\\n$/m, 'the copied log');
  });

  test('tutorial A: a UDP session sends `test` as text and as hex; `hello, test` shows with its source address', async () => {
    const hello: RunningTextServer = await startTextServer({ mode: 'hello', udpPort: 0, host: '127.0.0.1' });
    cleanup.push(() => hello.close());
    const session = await open('UDP', 'hello-udp', { host: '127.0.0.1', port: hello.udpPort, localPort: 0, framing: 'none' });
    assert.equal(session.state, 'open');
    await send('test', { ending: 'none' });
    await until(async () => (await logData('in')).filter((d) => d.startsWith('hello, test')).length === 1, 'hello, test (text)');
    await send('74 65 73 74', { ending: 'none', as: 'hex' });
    await until(async () => (await logData('in')).filter((d) => d.startsWith('hello, test')).length === 2, 'hello, test (hex)', 5000);
    const peers = await page.getByRole('tabpanel').locator('tr.entry[data-dir="in"] td.peer').allInnerTexts();
    assert.deepEqual(peers, [`127.0.0.1:${hello.udpPort ?? 0}`, `127.0.0.1:${hello.udpPort ?? 0}`], 'the source address of each reply');

    // Hex after the fact: the same entries, as a hex dump.
    await page.getByRole('tabpanel').getByRole('button', { name: 'Hex', exact: true }).click();
    const hex = await logData('in');
    assert.match(hex[0] ?? '', /^0000 {2}68 65 6c 6c 6f 2c 20 74 {2}65 73 74/, 'hello, test in hex');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('tabpanel').getByRole('button', { name: 'Download' }).click()]);
    assert.equal(download.suggestedFilename(), 'hello-udp.log');
    const saved = readFileSync((await download.path()) ?? '', 'utf8');
    assert.match(saved, new RegExp(`in 127\\.0\\.0\\.1:${hello.udpPort ?? 0}\\n {2}0000 {2}68 65 6c 6c 6f 2c`), 'the downloaded log, in hex as shown');
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'network-tools-udp-hex');
    await page.getByRole('tabpanel').getByRole('button', { name: 'Text', exact: true }).click();
  });

  test('tutorial C: with NUL framing, a server sending `go\\0` in two pieces is one message', async () => {
    const { server, port } = await tcpServer((socket) => {
      socket.write('g');
      setTimeout(() => socket.write('o\0'), 100);
    });
    cleanup.push(() => void server.close());
    const session = await open('TCP client', 'button-server', { host: '127.0.0.1', port, framing: 'nul' });
    await until(async () => (await logData('in')).length === 1, 'one message');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(await logData('in'), ['go']);
    assert.deepEqual((await entries(session.id)).filter((e) => e.dir === 'in').map((e) => Buffer.from(e.data, 'base64').toString()), ['go']);
  });

  test('a 50 MB flood into one session does not delay another session\'s echo by more than 200 ms; the page shows dropped bytes', async () => {
    const { server: echoServer, port: echoPort } = await tcpServer((socket) => socket.pipe(socket));
    cleanup.push(() => void echoServer.close());
    const echo = await open('TCP client', 'echo', { host: '127.0.0.1', port: echoPort, framing: 'lf' });
    await until(async () => (await sessionNamed('echo')).state === 'open', 'echo connected');

    /** Round trip of one line through the echo session, seen in the hub's log (ms). */
    async function echoRtt(n: number): Promise<number> {
      const marker = `ping-${n}-${Date.now()}`;
      const started = performance.now();
      const sent = await t.api(`/api/nettools/sessions/${echo.id}/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: marker, ending: 'lf' }) });
      assert.equal(sent.status, 200);
      await until(async () => (await entries(echo.id)).some((e) => e.dir === 'in' && Buffer.from(e.data, 'base64').toString() === marker), `echo ${marker}`, 5000);
      return performance.now() - started;
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

    const quiet: number[] = [];
    for (let i = 0; i < 5; i++) quiet.push(await echoRtt(i));

    const FLOOD_BYTES = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    let written = 0;
    let flooding = true;
    const { server: floodServer, port: floodPort } = await tcpServer((socket) => {
      socket.on('error', () => undefined);
      const pump = (): void => {
        while (written < FLOOD_BYTES) {
          written += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end(() => (flooding = false));
      };
      pump();
    });
    cleanup.push(() => void floodServer.close());
    await open('TCP client', 'flood', { host: '127.0.0.1', port: floodPort, framing: 'none' });
    await until(() => written >= 8 * 1024 * 1024, 'the flood is on', 10_000);

    const flooded: number[] = [];
    for (let i = 0; i < 5; i++) flooded.push(await echoRtt(100 + i));
    const stillFlooding = flooding;
    const delay = median(flooded) - median(quiet);
    console.log(`# echo round trip through the hub: quiet median ${median(quiet).toFixed(1)} ms, during a 50 MB flood median ${median(flooded).toFixed(1)} ms (max ${Math.max(...flooded).toFixed(1)} ms)`);
    assert.ok(stillFlooding, `the echoes were measured while the flood ran (${(written / 1048576).toFixed(0)} MiB written)`);
    assert.ok(delay <= 200, `the flood delayed the echo by ${delay.toFixed(1)} ms`);

    await until(async () => (await sessionNamed('flood')).droppedBytes > 0, 'the hub counts dropped bytes', 15_000);
    await selectTab('flood');
    await until(async () => {
      const text = await page.getByRole('tabpanel').locator('[data-field="dropped"]').innerText();
      return /^[1-9][\d,.]* (bytes|KiB|MiB)$/.test(text);
    }, 'the page shows dropped bytes', 5000);
    await screenshot(page, 'network-tools-flood');
    // The page stays usable: switching tabs shows the echo session at once.
    await selectTab('echo');
    await page.getByRole('tabpanel').getByRole('heading', { name: /^echo / }).waitFor({ timeout: 2000 });
  });

  test('sessions survive a reload; tabs are a keyboard tablist; light, dark and 375 px screenshots', async () => {
    const before = await page.getByRole('tab').allInnerTexts();
    assert.ok(before.length >= 5, `tabs ${JSON.stringify(before)}`);
    await page.reload();
    await page.getByRole('tab').first().waitFor();
    assert.deepEqual(await page.getByRole('tab').allInnerTexts(), before, 'the same sessions after a reload');
    await selectTab('sketch-server');
    await until(async () => (await logData('in')).includes('hello from the Pico W'), 'the log is read back from the hub');

    await page.getByRole('tab', { selected: true }).focus();
    await page.keyboard.press('ArrowRight');
    await until(async () => (await page.getByRole('tab', { selected: true }).innerText()).includes('sketch-client'), 'ArrowRight selects the next session');
    await until(() => page.evaluate(() => document.activeElement?.textContent?.includes('sketch-client') === true), 'focus moves with the selection');
    await page.keyboard.press('Home');
    await until(async () => (await page.getByRole('tab', { selected: true }).innerText()).includes('sketch-server'), 'Home selects the first');
    await screenshot(page, 'network-tools-light');

    const dark = await browser.newPage({ dark: true });
    await dark.goto(`${t.url}/network`);
    await dark.getByRole('tab').first().waitFor();
    await dark.getByRole('tab', { name: /^hello-udp / }).click();
    await dark.getByRole('tabpanel').locator('tr.entry[data-dir="in"]').first().waitFor();
    assert.deepEqual(await seriousViolations(dark), []);
    await screenshot(dark, 'network-tools-dark');
    await dark.close();

    const narrow = await browser.newPage({ width: 375, height: 800 });
    await narrow.goto(`${t.url}/network`);
    await narrow.getByRole('tab').first().waitFor();
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at 375 px (overflow ${overflow} px)`);
    assert.deepEqual(await seriousViolations(narrow), []);
    await screenshot(narrow, 'network-tools-375');
    await narrow.close();
  });

  test('saved messages: saved in the hub, sent in one click, repeated a bounded number of times', async () => {
    await selectTab('sketch-client');
    const panel = page.getByRole('tabpanel');
    await panel.getByLabel('As', { exact: true }).selectOption('text');
    await panel.getByLabel('Line ending').selectOption('lf');
    await panel.getByLabel(/^Message/).fill('saved ping');
    await panel.getByLabel('Save this message as').fill('ping');
    await panel.getByRole('button', { name: 'Save', exact: true }).click();
    await panel.locator('[data-message="ping"]').waitFor();
    const stored = (await (await t.api('/api/nettools/messages')).json()) as { messages: { name: string; data: string }[] };
    assert.deepEqual(stored.messages.map((m) => [m.name, m.data]), [['ping', 'saved ping']], 'kept in the hub');

    const outBefore = (await logData('out')).filter((d) => d === 'saved ping\\n' || d === 'saved ping').length;
    await panel.getByRole('button', { name: 'Send ping' }).click();
    await panel.getByLabel('Repeat count').fill('3');
    await panel.getByLabel('every (ms)').fill('50');
    await panel.getByRole('button', { name: 'Repeat ping' }).click();
    await until(async () => (await logData('out')).filter((d) => d.startsWith('saved ping')).length === outBefore + 4, 'one send and three repeats', 5000).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(await logData('out'))} ${JSON.stringify(await page.getByRole('tabpanel').locator('section.send').innerText())}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await logData('out')).filter((d) => d.startsWith('saved ping')).length, outBefore + 4, 'the repeat stops after its count');
    assert.equal(await panel.getByRole('button', { name: 'Cancel repeat' }).count(), 0, 'a finished repeat is not offered for cancelling');

    // A long repeat, cancelled from the page.
    await panel.getByLabel('Repeat count').fill('1000');
    await panel.getByLabel('every (ms)').fill('100');
    await panel.getByRole('button', { name: 'Repeat ping' }).click();
    await panel.getByText(/^Repeating ping \(\d+ left\)/).waitFor();
    await panel.getByRole('button', { name: 'Cancel repeat' }).click();
    await panel.getByRole('button', { name: 'Cancel repeat' }).waitFor({ state: 'detached' });
    const afterCancel = (await logData('out')).length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await logData('out')).length, afterCancel, 'no more sends after Cancel repeat');
  });

  test('errors show where the person acted, with the hub\'s sentence and code', async () => {
    await page.getByLabel('Kind').selectOption({ label: 'TCP server' });
    await page.getByLabel('Name (optional)').fill('low-port');
    await page.getByLabel('Local port (0: any free)').fill('80');
    await page.locator('form.create button[type="submit"]').click();
    const alert = page.locator('form.create').getByRole('alert');
    assert.match(await alert.innerText(), /1024.*\(PL_ERR_OUT_OF_RANGE\)/);

    await selectTab('sketch-client');
    await send('zz', { as: 'hex', ending: 'none' });
    assert.match(await page.getByRole('tabpanel').locator('section.send').getByRole('alert').first().innerText(), /PL_ERR_BAD_TYPE/);
  });

  test('TLS client: the certificate seen is shown; a pinned fingerprint that differs fails with its code, the right one connects', async () => {
    const cert = generateCertificate({ commonName: 'pico-tls', hosts: ['127.0.0.1'] });
    const other = generateCertificate({ commonName: 'someone-else', hosts: ['127.0.0.1'] });
    const server = createTlsServer({ key: cert.keyPem, cert: cert.certPem }, (socket) => {
      socket.on('error', () => undefined);
      socket.write('secure hello\n');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => void server.close());
    const port = (server.address() as AddressInfo).port;

    await open('TLS client', 'tls-first', { host: '127.0.0.1', port, framing: 'lf' });
    await until(async () => (await logData('in')).includes('secure hello'), 'the TLS server\'s greeting');
    assert.equal(await page.getByRole('tabpanel').locator('[data-field="fingerprint"]').innerText(), cert.fingerprint, 'the fingerprint seen, to pin');

    await open('TLS client', 'tls-wrong-pin', { host: '127.0.0.1', port, framing: 'lf', fingerprint: other.fingerprint });
    const error = page.getByRole('tabpanel').locator('[data-field="session-error"]');
    await error.waitFor();
    assert.match(await error.innerText(), /PL_ERR_TLS_FINGERPRINT_MISMATCH/);
    assert.equal(await page.getByRole('tabpanel').locator('.state').innerText(), 'failed');
    assert.deepEqual(await logData('in'), [], 'nothing from a server that failed the pin');

    await open('TLS client', 'tls-pinned', { host: '127.0.0.1', port, framing: 'lf', fingerprint: cert.fingerprint });
    await until(async () => (await logData('in')).includes('secure hello'), 'connected with the right pin');
  });

  test('closing a session frees its port and removes its tab', async () => {
    const session = await sessionNamed('sketch-server');
    const port = session.localPort ?? 0;
    await selectTab('sketch-server');
    await page.getByRole('tabpanel').getByRole('button', { name: 'Close' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await page.getByRole('tab', { name: /^sketch-server / }).waitFor({ state: 'detached' });
    const again = createServer();
    again.listen(port, '127.0.0.1');
    await once(again, 'listening');
    await new Promise((resolve) => again.close(resolve));
    assert.equal((await t.api(`/api/nettools/sessions/${session.id}`, { method: 'DELETE' })).status, 404, 'the hub forgot it');
  });
});
