/** `picolink serve` as a person runs it: the log, the answers, the exit codes. */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect } from 'node:net';
import { runPicolink } from './cli-process.js';
import { startPicolink } from './background-process.js';

test('serve hello --port 0: TCP and UDP on one port; answers and NDJSON log lines', async (t) => {
  const server = startPicolink(['serve', 'hello', '--port', '0', '--host', '127.0.0.1', '--json']);
  t.after(() => server.stop());
  const [, portText] = await server.waitFor(/"event":"listening","transport":"udp","host":"127\.0\.0\.1","port":(\d+)/);
  const port = Number(portText);
  assert.match(server.stdout(), new RegExp(`"event":"listening","transport":"tcp","host":"127\\.0\\.0\\.1","port":${port}`));

  const tcp = await runPicolink(['term', 'tcp', '127.0.0.1', String(port), '--send', 'test', '--wait', '300']);
  assert.equal(tcp.code, 0, tcp.stderr);
  assert.equal(tcp.stdout, 'hello, test\n');
  await server.waitFor(/"event":"disconnect"/);
  const udp = await runPicolink(['term', 'udp', '127.0.0.1', String(port), '--send', 'test', '--wait', '300']);
  assert.equal(udp.code, 0, udp.stderr);
  assert.equal(udp.stdout, 'hello, test\n');

  await server.waitFor(/"transport":"udp".*"message":"test"/);
  const events = server.stdout().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.ok(events.every((e) => typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time))), 'every line has a timestamp');
  assert.deepEqual(
    events.map((e) => `${String(e.event)} ${String(e.transport)}`),
    ['listening tcp', 'listening udp', 'connect tcp', 'message tcp', 'disconnect tcp', 'message udp'],
  );
  assert.deepEqual({ message: events[3]?.message, reply: events[3]?.reply }, { message: 'test\n', reply: 'hello, test\n' });
  assert.equal(await server.stop(), 0, 'SIGTERM stops it cleanly');
});

test('serve echo --delimiter nul logs one text line per event and closes only an oversize client', async (t) => {
  const server = startPicolink(['serve', 'echo', '--tcp', '0', '--host', '127.0.0.1', '--delimiter', 'nul', '--max-message', '64']);
  t.after(() => server.stop());
  const [, port] = await server.waitFor(/listening on tcp 127\.0\.0\.1:(\d+) \(echo; messages end with a NUL byte\)/);
  const good = connect({ host: '127.0.0.1', port: Number(port) });
  await once(good, 'connect');
  t.after(() => good.destroy());
  let echoed = '';
  good.setEncoding('utf8').on('data', (text: string) => (echoed += text));
  good.write('go\0');
  await server.waitFor(/"go\\0"|"go" -> "go"/);

  const bad = connect({ host: '127.0.0.1', port: Number(port) });
  bad.on('error', () => {});
  await once(bad, 'connect');
  bad.write('x'.repeat(100));
  await once(bad, 'close');
  await server.waitFor(/closed by the server after 0 messages: message larger than 64 bytes without a NUL byte.*\(PL_ERR_MESSAGE_TOO_LARGE\)/);

  good.write('still here\0');
  await server.waitFor(/"still here" -> "still here"/);
  assert.equal(echoed, 'go\0still here\0');
  assert.match(server.stdout(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z tcp 127\.0\.0\.1:\d+ connected \(1 client\)$/m);
});

test('serve reverse over UDP, as in the Rust std tutorial', async (t) => {
  const server = startPicolink(['serve', 'reverse', '--udp', '0', '--host', '127.0.0.1']);
  t.after(() => server.stop());
  const [, port] = await server.waitFor(/listening on udp 127\.0\.0\.1:(\d+)/);
  const socket = createSocket('udp4');
  t.after(() => socket.close());
  socket.send('hello world', Number(port), '127.0.0.1');
  const [reply] = (await once(socket, 'message')) as [Buffer];
  assert.equal(reply.toString(), 'dlrow olleh');
  assert.doesNotMatch(server.stdout(), /listening on tcp/, 'only what was asked for');
});

test('serve on a port already in use exits 3 with one line', async (t) => {
  const server = startPicolink(['serve', 'hello', '--tcp', '0', '--host', '127.0.0.1']);
  t.after(() => server.stop());
  const [, port] = await server.waitFor(/listening on tcp 127\.0\.0\.1:(\d+)/);
  const clash = await runPicolink(['serve', 'hello', '--tcp', port ?? '', '--host', '127.0.0.1']);
  assert.equal(clash.code, 3);
  assert.equal(clash.stderr, `picolink: cannot listen on tcp 127.0.0.1:${port}: the port is already in use; stop the program using it or choose another port\n`);
});

test('serve and term usage errors exit 2 with one line', async () => {
  const cases: [string[], RegExp][] = [
    [['serve'], /say what to serve: picolink serve hello\|echo\|reverse/],
    [['serve', 'shout'], /"shout" is not a server; choose hello, echo or reverse/],
    [['serve', 'hello', '--delimiter', 'crlf'], /--delimiter must be none, lf or nul/],
    [['serve', 'hello', '--port', '1', '--tcp', '2'], /--port sets both TCP and UDP/],
    [['serve', 'hello', '--tcp', '70000'], /--tcp must be a whole number from 0 to 65535/],
    [['term'], /say tcp or udp/],
    [['term', 'sctp', 'h', '1'], /"sctp" is not tcp or udp/],
    [['term', 'tcp', 'localhost'], /give the port/],
    [['term', 'tcp', 'localhost', '0'], /the port must be a number from 1 to 65535/],
    [['term', 'listen', 'udp', '9', '--send', 'x'], /--send needs a peer/],
    [['term', 'udp', 'h', '5', '--eol', 'cr'], /--eol must be lf, crlf, nul or none/],
  ];
  for (const [args, pattern] of cases) {
    const result = await runPicolink(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^picolink: [^\n]+\n$/);
    assert.match(result.stderr, pattern);
  }
});

test('--help lists serve and term, and each has its own help', async () => {
  const main = await runPicolink(['--help']);
  assert.match(main.stdout, /^ {2}serve hello\|echo\|reverse /m);
  assert.match(main.stdout, /^ {2}term tcp\|udp HOST PORT /m);
  for (const command of ['serve', 'term']) {
    const help = await runPicolink(['help', command]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`^Usage: picolink ${command} `));
    assert.equal((await runPicolink([command, '--help'])).stdout, help.stdout);
  }
});
