// `picolink sim input` and `picolink watch` against a real `picolink device --sim` process:
// what the README tour shows (a watch seeing a simulated button press), run as a user would.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startPicolink } from './background-process.js';
import { PiconetcontrolServer } from '@picolink/test-kit/piconetcontrol-server';
import { runCli } from '../src/run.js';
import { runPicolink, startDeviceProcess } from './cli-process.js';
import { exitCode, startTestDemo } from './sim-fixtures.js';

test('sim input makes watch --pin 15 --count 1 print the pin_change, then exit 0', async (t) => {
  const device = await startDeviceProcess();
  t.after(() => device.stop());
  const watch = startPicolink(['watch', device.url, '--pin', '15', '--count', '1']);
  t.after(() => watch.stop());
  await watch.waitFor(/watching pin 15 \(reads 1\)/, 'stderr');
  assert.match(watch.stderr(), /pin 15 was not set up; set it up as an input \(pull up\)/);

  const sim = await runPicolink(['sim', 'input', device.url, '15', '0']);
  assert.deepEqual([sim.code, sim.stdout, sim.stderr], [0, 'pin 15 input set to 0\n', '']);

  const [line] = await watch.waitFor(/^.*pin_change.*\n/m);
  assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z pin_change pin=15 value=0 cause=input t=\d+\n$/);
  assert.equal(await exitCode(watch.child), 0, '--count 1 ends it after one event');
  assert.equal(watch.stdout(), line, 'one line per event, nothing else on stdout');
});

test('watch --json prints NDJSON events; a pin already set up keeps its setup', async (t) => {
  const device = await startDeviceProcess();
  t.after(() => device.stop());
  const setup = await runPicolink(['send', device.url, '-c', 'action=setup_pin', 'pin=14', 'mode=input', 'pull=down']);
  assert.equal(setup.code, 0, setup.stderr);
  const watch = startPicolink(['watch', device.url, '--pin', '14', '--count', '2', '--json']);
  t.after(() => watch.stop());
  await watch.waitFor(/watching pin 14 \(reads 0\)/, 'stderr');
  assert.doesNotMatch(watch.stderr(), /set it up/);
  for (const level of ['1', '0']) assert.equal((await runPicolink(['sim', 'input', device.url, '14', level])).code, 0);
  await watch.waitFor(/^(.*\n){2}/);
  assert.equal(await exitCode(watch.child), 0);
  const events = watch.stdout().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(events.map((e) => [e.event, e.pin, e.value, e.cause]), [
    ['pin_change', 14, 1, 'input'],
    ['pin_change', 14, 0, 'input'],
  ]);
  assert.equal(typeof events[0]?.time, 'number');
});

test('watch ends with exit 3 and says why when the device goes away', async (t) => {
  const device = await startDeviceProcess();
  t.after(() => device.stop());
  const watch = startPicolink(['watch', device.url, '--pin', '15']);
  t.after(() => watch.stop());
  await watch.waitFor(/watching pin 15/, 'stderr');
  await device.stop();
  await watch.waitFor(/closed the connection/, 'stderr');
  assert.equal(await exitCode(watch.child), 3);
  assert.match(watch.stdout(), /closing code=PL_ERR_CONNECTION_CLOSED error="the device is shutting down"/, 'the closing event is printed too');
});

test('Ctrl-C ends watch with exit 0', async (t) => {
  const device = await startDeviceProcess();
  t.after(() => device.stop());
  const watch = startPicolink(['watch', device.url]);
  t.after(() => watch.stop());
  await watch.waitFor(/watching events of tcp:/, 'stderr');
  watch.child.kill('SIGINT');
  assert.equal(await exitCode(watch.child), 0);
  assert.equal(watch.stdout(), '');
});

test('sim input: a pin that is not an input is said on stderr; wrong words are usage errors', async (t) => {
  const device = await startDeviceProcess();
  t.after(() => device.stop());
  const unset = await runPicolink(['sim', 'input', device.url, '3', '1', '--json']);
  assert.equal(unset.code, 0);
  assert.deepEqual(JSON.parse(unset.stdout), { pin: 3, value: 1, mode: 'unset' });
  assert.match(unset.stderr, /pin 3 is not set up as an input \(unset\); it reads 1 once it is/);
  const read = await runPicolink(['send', device.url, '--json', '-c', 'action=setup_pin', 'pin=3', 'mode=input', 'pull=down']);
  assert.equal((JSON.parse(read.stdout) as { value: number }).value, 1, 'the level applied earlier is what the input reads');

  const led = await runPicolink(['sim', 'input', device.url, 'LED', '1']);
  assert.equal(led.code, 1);
  assert.equal(led.stderr, 'picolink: pin LED is output only; a level can only be applied to a GPIO pin (PL_ERR_PIN_MODE)\n');
  for (const args of [['input', device.url, '15', '2'], ['input', device.url, 'x', '1'], ['input', device.url, '15'], ['press', device.url, '15', '0'], ['input', 'hub://localhost:1/devices/pico-1', '15', '0']]) {
    let stderr = '';
    const code = await runCli(['sim', ...args], { out: () => {}, err: (text) => (stderr += text) });
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, /^picolink: .*(LEVEL|PIN|give|subcommand|a hub does not pass)/);
  }
});

test('sim input to a stock piconetcontrol server says what it is, exit 1', async (t) => {
  const server = await PiconetcontrolServer.start();
  t.after(() => server.close());
  const result = await runPicolink(['sim', 'input', server.url, '15', '0']);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `picolink: ${server.url} is a piconetcontrol server, not a simulated picolink device (picolink device --sim)\n`);
});

test('watch through the hub (hub://, --token) sees a simulated input of a server-mode device', async (t) => {
  const demo = await startTestDemo(t);
  const kitchen = demo.fleet?.kitchen ?? assert.fail('the demo has no kitchen device');
  const watch = startPicolink(['watch', demo.hubUrl('pico-kitchen'), '--token', demo.token ?? '', '--pin', '3', '--count', '1']);
  t.after(() => watch.stop());
  await watch.waitFor(/watching pin 3 \(reads 1\)/, 'stderr');
  assert.equal((await runPicolink(['sim', 'input', kitchen.url, '3', '0'])).code, 0);
  assert.equal(await exitCode(watch.child), 0);
  assert.match(watch.stdout(), /^\S+Z pin_change pin=3 value=0 cause=input t=\d+\n$/);
});
