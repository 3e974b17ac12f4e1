// README.md, run as a reader would: the five-minute tour against a simulated device, the
// hub section against `picolink demo`, and the agent bundle, each on free ports; every
// other block carries `<!-- not run as written: REASON -->` (the last test checks that).
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@picolink/test-kit/free-port';
import { DocRunner, startDemoHub, startSimDevice, where } from './runner.js';

const docs = new DocRunner('README.md');

before(async () => {
  await startSimDevice(docs);
});

after(() => docs.close());

test('README: the tour starts a device as written, and ping and get_info answer', async () => {
  // The test's own device already has documented port 12345; this runs the block as written on another.
  const start = docs.take('npx picolink device --sim --host 127.0.0.1 --port 12345');
  const talk = docs.take('npx picolink ping localhost');
  const port = await freePort();
  const device = docs.background(start.text.replace('12345', String(port)));
  await device.waitFor(new RegExp(`listening on tcp://127\\.0\\.0\\.1:${port}`));
  // An answer first: the device prints its address a moment before it handles SIGTERM.
  await docs.shOk(`npx picolink ping 127.0.0.1:${port} -n 1`);
  assert.equal(await device.stop(), 0, 'Ctrl-C (SIGTERM here) stops it cleanly');

  const result = await docs.shOk(talk);
  assert.match(result.stdout, /replies: min [\d.]+ ms, median [\d.]+ ms, max/);
  assert.match(result.stdout, /get_info\s.*ok\s/);
});

test('README: a lease outlives the send that took it and ends five seconds later', async () => {
  const write = docs.take('-c action=write_pin pin=2 value=1 timeout=5');
  docs.checkOutput(docs.outputAfter(write), (await docs.shOk(write)).stdout);
  const started = Date.now();
  const reads = docs.take('sleep 5');
  const result = await docs.shOk(reads);
  assert.ok(Date.now() - started >= 5_000, 'the second read comes after the five seconds');
  docs.checkOutput(docs.outputAfter(reads), result.stdout);
});

test('README: a safe value applies as soon as the connection that set it closes', async () => {
  const block = docs.take('safe=0 -c action=write_pin pin=3 value=1');
  docs.checkOutput(docs.outputAfter(block), (await docs.shOk(block)).stdout);
});

test('README: picolink watch prints the pin changes picolink sim input makes', async () => {
  const watchBlock = docs.take('npx picolink watch localhost --pin 15');
  const press = docs.take('npx picolink sim input localhost 15 0\nnpx picolink sim input localhost 15 1');
  const pressOutput = docs.outputAfter(press);
  const watchOutput = docs.outputAfter(pressOutput);
  const watch = docs.background(watchBlock);
  await watch.waitFor(/watching pin 15/, 'stderr');
  docs.checkOutput(pressOutput, (await docs.shOk(press)).stdout);
  await watch.waitFor(/pin_change pin=15 value=1/);
  await watch.stop();
  docs.checkOutput(watchOutput, watch.stdout());
});

test('README: the SDK snippet sets pin 15 up, watches it and sees the press', async () => {
  const snippet = docs.take("connect('tcp://localhost:12345'", 'ts');
  const press = docs.take('npx picolink sim input localhost 15 0', 'sh');
  const [program] = await docs.compileTs([snippet]);
  const run = docs.runTs(program!);
  await run.waitFor(/waiting for a press on pin 15/);
  assert.match(run.stdout(), /value: \d+,\s+volts: [\d.]+,\s+temperatureC: [\d.]+/, 'the ADC reading, camelCase');
  await docs.shOk(press);
  await run.waitFor(/^button 0 at \d+ ms$/m);
  assert.equal(await run.finish(), 0, `the program ends after the press; stderr: ${run.stderr()}`);
});

test('README: TLS with a pinned certificate', async () => {
  const certs = await docs.shOk(docs.take('npx picolink certs ./certs'));
  const fingerprint = /([0-9A-F]{2}(?::[0-9A-F]{2}){31})/.exec(certs.stdout)?.[1];
  assert.ok(fingerprint, `certs prints the fingerprint: ${certs.stdout}`);
  docs.substitute('AB:CD:...', fingerprint);
  docs.mapPort(12346, await freePort());
  const device = docs.background(docs.take('--port 12346 --tls-cert'));
  await device.waitFor(/listening on tls:\/\//);
  const send = await docs.shOk(docs.take('npx picolink send tls://localhost:12346'));
  assert.match(send.stdout, /ping\s.*ok/);
  assert.equal(await device.stop(), 0);
});

test('README: a simulated device dials home to a hub with its id and token', async () => {
  const block = docs.take('npx picolink device --sim --hub hub.local:12400 --token s3cret --id greenhouse-1');
  const dir = join(docs.cwd, 'dial-home-hub');
  mkdirSync(dir);
  const config = { gateway: { host: '127.0.0.1' }, telemetry: { host: '127.0.0.1' }, devices: [{ id: 'greenhouse-1', token: 's3cret' }] };
  writeFileSync(join(dir, 'picolink.json'), JSON.stringify(config));
  const hubRun = docs.background('npx picolink hub --config picolink.json --http-port 0 --gateway-port 0 --telemetry-port 0 --json', { cwd: dir });
  const [line = ''] = await hubRun.waitFor(/^\{.*\}$/m);
  const hub = JSON.parse(line) as { url: string; gatewayPort: number; token: string };
  docs.substitute('hub.local:12400', `127.0.0.1:${hub.gatewayPort}`);
  const device = docs.background(block);
  const deadline = Date.now() + 15_000;
  let online = false;
  while (!online && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const response = await fetch(`${hub.url}/api/devices/greenhouse-1`, { headers: { authorization: `Bearer ${hub.token}` } });
    online = response.ok && ((await response.json()) as { device: { online: boolean } }).device.online;
  }
  assert.ok(online, `the hub lists greenhouse-1 online; device stderr: ${device.stderr()}`);
  const answer = await fetch(`${hub.url}/api/devices/greenhouse-1/commands`, {
    method: 'POST',
    headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'ping' }),
  });
  assert.equal(answer.status, 200, 'the hub\'s command reaches it over its own connection');
  await device.stop();
  await hubRun.stop();
});

test('README: the hub section against picolink demo', async () => {
  const printed = docs.take('picolink demo: a hub with three simulated Pico Ws', '');
  const curls = docs.take('curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/devices\n');
  const snippet = docs.take("connect('hub://localhost:8080/devices/pico-kitchen'", 'ts');
  const hub = await startDemoHub(docs);
  const documentedToken = /^\s*token\s+(\S+)/m.exec(printed.text)?.[1];
  assert.ok(documentedToken);
  docs.substitute(documentedToken, hub.token);
  docs.substitute('/home/me/picolink', docs.cwd.replace(/\/$/, ''));
  // The kitchen device's port is picked free.
  docs.checkOutput(printed, hub.output, { prefix: true, volatile: [/^tcp:\/\/127\.0\.0\.1:\d+;$/] });

  const result = await docs.shOk(curls);
  assert.doesNotMatch(result.stdout, /PL_ERR_/, 'every call is answered');
  assert.match(result.stdout, /"pico-kitchen"/);
  assert.match(result.stdout, /"ok":true/, 'the write_pin command is answered ok');
  assert.ok(existsSync(join(docs.cwd, 'garden.csv')), 'the CSV export is saved');

  const [program] = await docs.compileTs([snippet]);
  const run = docs.runTs(program!, { env: { PICOLINK_TOKEN: hub.token } });
  assert.equal(await run.finish(), 0, `it ends once done; stderr: ${run.stderr()}`);
});

test('README: the tcpcom-style SDK snippet type-checks', async () => {
  // It serves port 22000 and connects to raspberrypi.local until stopped: compiled, not run.
  await docs.compileTs([docs.take('new TcpServer(22000', 'ts')]);
});

test('README: agent bundle writes the agent and its config.json', async () => {
  await docs.shOk(docs.take('npx picolink agent bundle pico-files --ssid "my-network"'));
  for (const file of ['main.py', 'config.json', 'device-cert.der', 'device-key.der', 'picolink']) {
    assert.ok(existsSync(join(docs.cwd, 'pico-files', file)), `pico-files/${file} is written`);
  }
});

test('README: every block is run by this test or marked not run with a reason', () => {
  docs.assertAllCovered();
  for (const block of docs.blocks) if (block.notRun !== undefined) assert.ok(block.notRun.length > 10, `${where(block)} says why it is not run`);
});
