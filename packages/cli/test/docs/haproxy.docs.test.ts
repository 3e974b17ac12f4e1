/**
 * docs/scaling.md "Behind a load balancer", run for real: the documented hub configuration
 * and command start two `picolink hub` processes on one throwaway PostgreSQL, the
 * documented HAProxy configuration (Debian's haproxy; the documented addresses and ports
 * replaced by the hubs' and free ones on 127.0.0.1) goes in front of them, and dial-home
 * devices connect to the balancer only. Also the check, for this page, that every block
 * is run here or marked not run with a reason.
 *
 * haproxy must be installed (`apt-get install -y haproxy`; .ci/run installs it): without
 * it this test fails and says so, it is never skipped.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeviceRuntime, dialHome, SimulatedBackend } from '@picolink/device';
import { freePort } from '@picolink/test-kit/free-port';
import { startPostgres } from '@picolink/test-kit/postgres';
import { DocRunner } from './runner.js';
import type { BackgroundRun } from './runner.js';

const DEVICES = 8;

/** The installed program's path, or an error saying how to install it (never a skip). */
function binary(name: string, packages: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name} || ls /usr/sbin/${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim().split('\n')[0] ?? '';
  if (found.status !== 0 || path === '') {
    throw new Error(`${name} is not installed: this test runs the ${name} configuration of docs/scaling.md. Install it with \`apt-get install -y ${packages}\` (.ci/run does).`);
  }
  return path;
}

/** A UDP port free on 127.0.0.1 now, for nginx to bind. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** The one process whose working directory is `dir` (each hub runs in its own). */
function processIn(dir: string): number {
  const found = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(dir);
    } catch {
      return false; // gone, or not ours to read
    }
  });
  if (found.length !== 1) throw new Error(`expected one process in ${dir}, found ${found.length}`);
  return Number(found[0]);
}

/** A failure that polling does not wait out (a server that ended). */
class Fatal extends Error {}

/** Throws {@link Fatal} once `run` has ended, from then on. */
function aliveCheck(run: BackgroundRun, name: string): () => void {
  let ended = false;
  void run.exited.then(() => (ended = true));
  return () => {
    if (ended) throw new Fatal(`${name} ended: ${run.stderr()}`);
  };
}

/** Polls `probe` every 100 ms until it returns something, for at most `ms`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    const value = await probe().catch((err: unknown) => void (last = err));
    if (value !== undefined) return value;
    if (last instanceof Fatal) throw last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last === undefined ? '' : `; last: ${String(last)}`}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface RunningHub {
  run: BackgroundRun;
  /** The hub's own process (the shell exec'd it), for kill -9. */
  pid: number;
  url: string;
  httpPort: number;
  gatewayPort: number;
  telemetryPort: number;
}

interface DeviceView {
  id: string;
  online: boolean;
  hub?: string | null;
  capabilities?: string[];
}

const haproxy = binary('haproxy', 'haproxy');
const nginx = binary('nginx', 'nginx libnginx-mod-stream');
/** Debian builds nginx's stream module as a dynamic module that nginx.conf loads. */
const NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
const cluster = await startPostgres();
const docs = new DocRunner('docs/scaling.md');
after(async () => {
  await docs.close();
  await cluster.stop();
});

docs.substitute('postgres://picolink:PASSWORD@db.example:5432/picolink', cluster.url);
docs.substitute('0.0.0.0', '127.0.0.1');
// The gateway certificate, made once as documented and copied to every hub.
await docs.shOk(docs.take('npx picolink certs ./hub-cert', 'sh'));
const fingerprint = new X509Certificate(readFileSync(join(docs.cwd, 'hub-cert', 'device-cert.pem'))).fingerprint256;
const hubConfig = docs.commandText(docs.take('"store"', 'json'));
const hubCommand = `${docs.commandText(docs.take('npx picolink hub --config picolink.json', 'sh'))} --http-port 0 --gateway-port 0 --telemetry-port 0 --json`;
let token = '';

/** A hub as the page starts it, in its own directory (`name`) with the first hub's API token. */
async function startHub(name: string): Promise<RunningHub> {
  const dir = join(docs.cwd, name);
  mkdirSync(join(dir, 'picolink-data'), { recursive: true });
  writeFileSync(join(dir, 'picolink.json'), hubConfig);
  cpSync(join(docs.cwd, 'hub-cert'), join(dir, 'hub-cert'), { recursive: true });
  // The documented step: every hub gets the first one's API token.
  if (token !== '') copyFileSync(join(docs.cwd, 'hub-a', 'picolink-data', 'api-token'), join(dir, 'picolink-data', 'api-token'));
  const run = docs.background(hubCommand, { cwd: dir });
  const [line = ''] = await run.waitFor(/^\{.*\}$/m, 'stdout', 30_000);
  const pid = processIn(dir);
  const info = JSON.parse(line) as { url: string; httpPort: number; gatewayPort: number; telemetryPort: number; token: string };
  if (token === '') token = info.token;
  assert.equal(info.token, token, `${name} uses the copied API token`);
  return { run, pid, url: info.url, httpPort: info.httpPort, gatewayPort: info.gatewayPort, telemetryPort: info.telemetryPort };
}

async function api(base: string, path: string, cookie?: string): Promise<Response> {
  return fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, ...(cookie ? { cookie } : {}) } });
}

test('docs/scaling.md: two hubs on one PostgreSQL behind the documented HAProxy configuration serve devices dialing home through it', { timeout: 120_000 }, async (t) => {
  const hubA = await startHub('hub-a');
  const hubB = await startHub('hub-b');

  const balancerGateway = await freePort();
  const balancerApi = await freePort();
  docs.mapPort(12400, balancerGateway);
  docs.mapPort(8080, balancerApi);
  docs.substitute('bind :', 'bind 127.0.0.1:');
  // HAProxy needs about two descriptors per connection and refuses to start below that;
  // a test machine's open-file limit is not a production one.
  docs.substitute('maxconn 110000', 'maxconn 1000');
  // Checks slower than documented, so that what moves devices off a dead hub within the
  // test's bound is `retries` with `redispatch`, not HAProxy marking the hub down.
  docs.substitute('inter 2s fall 2', 'inter 10s fall 2');
  for (const [documented, hub] of [['10.0.0.11', hubA], ['10.0.0.12', hubB]] as const) {
    docs.substitute(`${documented}:12400 check port 8080`, `127.0.0.1:${hub.gatewayPort} check port ${hub.httpPort}`);
    docs.substitute(`${documented}:8080`, `127.0.0.1:${hub.httpPort}`);
  }
  const cfg = join(docs.cwd, 'haproxy.cfg');
  writeFileSync(cfg, `${docs.commandText(docs.take('frontend picolink_gateway', 'haproxy'))}\n`);
  const check = spawnSync(haproxy, ['-c', '-f', cfg], { encoding: 'utf8' });
  assert.equal(check.status, 0, `haproxy -c refuses the documented configuration:\n${check.stdout}${check.stderr}`);
  const balancer = docs.background(`exec ${haproxy} -db -f ${cfg}`);
  const balancerAlive = aliveCheck(balancer, 'haproxy');

  const balancerUrl = `http://127.0.0.1:${balancerApi}`;

  // The API through the balancer: the shared token is good on both hubs, and each answer
  // carries the cookie that keeps a browser on its hub.
  const cookies = new Set<string>();
  await eventually('answers from both hubs through the balancer', async () => {
    balancerAlive();
    const response = await api(balancerUrl, '/api/devices');
    assert.equal(response.status, 200, await response.text());
    const cookie = /picolink_hub=(\w+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
    if (cookie) cookies.add(cookie);
    return cookies.size === 2 ? true : undefined;
  }, 20_000);
  assert.deepEqual([...cookies].sort(), ['a', 'b']);
  for (const server of ['a', 'b']) {
    const sticky = await api(balancerUrl, '/api/health', `picolink_hub=${server}`);
    assert.equal(sticky.status, 200);
    assert.equal(sticky.headers.get('set-cookie'), null, `a browser with picolink_hub=${server} stays on that hub`);
  }

  // Devices know only the balancer's address and pin the certificate: the documented
  // device command, and more of them in this process.
  docs.substitute('picolink.example.com:12400', '127.0.0.1:12400');
  docs.substitute('SHA256_FINGERPRINT', fingerprint);
  docs.background(docs.take('npx picolink device --sim --id pico-1', 'sh'));
  const devices = Array.from({ length: DEVICES - 1 }, (_, i) => {
    const runtime = new DeviceRuntime({ deviceId: `lb-pico-${i}`, backend: new SimulatedBackend() });
    return { runtime, link: undefined as ReturnType<typeof dialHome> | undefined };
  });
  t.after(async () => {
    await Promise.all(devices.map(async (d) => {
      await d.link?.close();
      await d.runtime.close();
    }));
  });
  for (const device of devices) {
    await device.runtime.start();
    device.link = dialHome({ runtime: device.runtime, hub: { host: '127.0.0.1', port: balancerGateway, tls: { fingerprint } }, backoff: { baseMs: 100, maxMs: 500 } });
  }
  const ids = ['pico-1', ...devices.map((d) => d.runtime.deviceId)].sort();

  const listed = async (hub: RunningHub): Promise<DeviceView[]> => {
    const response = await api(hub.url, '/api/devices');
    assert.equal(response.status, 200);
    return ((await response.json()) as { devices: DeviceView[] }).devices.filter((d) => ids.includes(d.id));
  };
  const hubIds = await Promise.all([hubA, hubB].map(async (hub) => ((await (await fetch(`${hub.url}/api/health`)).json()) as { hubId: string }).hubId));
  assert.notEqual(hubIds[0], hubIds[1], 'each hub has its own id');
  /** Online devices as `hub`'s API lists them: id -> the hub holding its link. */
  const holders = async (hub: RunningHub): Promise<Record<string, string | null | undefined>> =>
    Object.fromEntries((await listed(hub)).filter((d) => d.online).map((d) => [d.id, d.hub]));

  // Every device online, spread over both hubs by leastconn, and each hub lists them all
  // with the same holder.
  await eventually('every device online on both hubs', async () => {
    const [a, b] = await Promise.all([holders(hubA), holders(hubB)]);
    return Object.keys(a).length === DEVICES && Object.keys(b).length === DEVICES ? true : undefined;
  }, 30_000);
  const [seenByA, seenByB] = await Promise.all([holders(hubA), holders(hubB)]);
  assert.deepEqual(Object.keys(seenByA).sort(), ids);
  assert.deepEqual(seenByB, seenByA, 'both hubs name the same holder for every device');
  const onA = ids.filter((id) => seenByA[id] === hubIds[0]);
  const onB = ids.filter((id) => seenByA[id] === hubIds[1]);
  assert.equal(onA.length + onB.length, DEVICES, `every device held by one of the two hubs: ${JSON.stringify(seenByA)}`);
  assert.ok(Math.abs(onA.length - onB.length) <= 2, `leastconn spreads the devices: ${onA.length} on hub A, ${onB.length} on hub B`);
  for (const hub of [hubA, hubB]) {
    const plain = (await listed(hub)).filter((d) => !d.capabilities?.includes('tls')).map((d) => d.id);
    assert.deepEqual(plain, [], 'every device reached its hub with TLS, through the balancer');
  }

  // One hub dies (kill -9): its devices reconnect to the same address and HAProxy sends them to the other.
  process.kill(hubA.pid, 'SIGKILL');
  const killedAt = Date.now();
  await eventually('every device back online on hub B', async () => {
    const seen = await holders(hubB);
    return ids.every((id) => seen[id] === hubIds[1]) ? true : undefined;
  }, 30_000);
  const movedMs = Date.now() - killedAt;
  assert.ok(movedMs < 8000, `devices moved in ${movedMs} ms: redispatch, not the health checks (every 10 s here), sends them to the live hub`);
  // The API through the balancer keeps answering, from the hub that is left, whatever the
  // round robin would have picked (a refused connection is retried on the other server,
  // before any check has marked the dead one down).
  for (let i = 0; i < 4; i++) {
    const response = await api(balancerUrl, '/api/devices');
    assert.equal(response.status, 200, `request ${i} through the balancer after the kill`);
    const views = ((await response.json()) as { devices: DeviceView[] }).devices.filter((d) => ids.includes(d.id));
    assert.deepEqual(views.filter((d) => d.online && d.hub === hubIds[1]).map((d) => d.id).sort(), ids);
  }

  await balancer.stop();
  await hubB.run.stop();
});

test('docs/scaling.md: the documented nginx stream block spreads UDP telemetry to the hubs and carries the acks back', { timeout: 90_000 }, async (t) => {
  const hubC = await startHub('hub-c');
  const hubD = await startHub('hub-d');
  t.after(() => Promise.all([hubC.run.stop(), hubD.run.stop()]));
  if (!existsSync(NGINX_STREAM_MODULE)) throw new Error(`no ${NGINX_STREAM_MODULE}: install it with \`apt-get install -y libnginx-mod-stream\` (.ci/run does)`);

  const balancerUdp = await freeUdpPort();
  docs.substitute('listen 12401 udp', `listen 127.0.0.1:${balancerUdp} udp`);
  docs.substitute('10.0.0.11:12401', `127.0.0.1:${hubC.telemetryPort}`);
  docs.substitute('10.0.0.12:12401', `127.0.0.1:${hubD.telemetryPort}`);
  const dir = join(docs.cwd, 'nginx');
  mkdirSync(dir, { recursive: true });
  // The page shows the stream block only; nginx.conf around it, as Debian's has it.
  const conf = [`load_module ${NGINX_STREAM_MODULE};`, 'daemon off;', 'master_process off;', `pid ${join(dir, 'nginx.pid')};`, 'error_log stderr;', 'events {}', docs.commandText(docs.take('stream {', 'nginx')), ''].join('\n');
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const check = spawnSync(nginx, ['-t', '-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  assert.equal(check.status, 0, `nginx -t refuses the documented block:\n${check.stderr}`);
  const balancer = docs.background(`exec ${nginx} -e stderr -p ${dir} -c ${join(dir, 'nginx.conf')}`);
  t.after(() => balancer.stop());
  const balancerAlive = aliveCheck(balancer, 'nginx');

  // A device's datagrams asking for acks, sent to the balancer only.
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const acked = new Set<number>();
  socket.on('message', (data) => {
    const ack = (JSON.parse(data.toString('utf8')) as { ack?: unknown }).ack;
    if (typeof ack === 'number') acked.add(ack);
  });
  const READINGS = 20;
  const send = (seq: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const datagram = JSON.stringify({ v: 1, device: 'udp-pico', boot: 1, seq, t: 1000 + seq, readings: { temp_c: 20 + seq }, ack: true });
      socket.send(datagram, balancerUdp, '127.0.0.1', (err) => (err ? reject(err) : resolve()));
    });
  // Resent until acked, as a device does: nginx may take a moment to start.
  await eventually('an ack for every reading, through nginx', async () => {
    balancerAlive();
    for (let seq = 0; seq < READINGS; seq++) if (!acked.has(seq)) await send(seq);
    await new Promise((resolve) => setTimeout(resolve, 200));
    return acked.size === READINGS ? true : undefined;
  }, 30_000);

  // Stored once each, in the shared tables, whichever hub is asked.
  for (const hub of [hubC, hubD]) {
    const response = await api(hub.url, '/api/devices/udp-pico/telemetry?from=0');
    assert.equal(response.status, 200);
    const rows = ((await response.json()) as { rows: Array<{ value: number }> }).rows;
    assert.deepEqual(rows.map((row) => row.value).sort((a, b) => a - b), Array.from({ length: READINGS }, (_, i) => 20 + i));
  }
  // `hash $remote_addr`: one device's datagrams all went to one hub.
  const accepted = await Promise.all([hubC, hubD].map(async (hub) => {
    const response = await api(hub.url, '/api/devices/udp-pico');
    const view = ((await response.json()) as { device: { telemetry: { accepted: number } | null } }).device;
    return view.telemetry?.accepted ?? 0;
  }));
  assert.deepEqual([...accepted].sort((a, b) => a - b), [0, READINGS], `datagrams accepted by each hub: ${accepted.join(', ')}`);
});

test('docs/scaling.md: every block is run by this file or marked not run with a reason', () => {
  docs.assertAllCovered();
});
