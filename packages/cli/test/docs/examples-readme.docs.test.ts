// examples/README.md, run as a reader would from the clone: tutorial A's computer side
// (`picolink serve hello`) and its board side (the TypeScript stand-in) on a free port.
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { freePort } from '@picolink/test-kit/free-port';
import { DocRunner, REPO_ROOT } from './runner.js';

const docs = new DocRunner('examples/README.md');

after(() => docs.close());

test('examples/README: serve hello and the device client answer each other as shown', async () => {
  const serveBlock = docs.take('npx picolink serve hello --port 9932');
  const clientBlock = docs.take('device-client.js --host 127.0.0.1 --port 9932');
  const output = docs.outputAfter(clientBlock);
  docs.mapPort(9932, await freePort());
  const server = docs.background(serveBlock, { cwd: REPO_ROOT });
  await server.waitFor(/listening on udp 127\.0\.0\.1:\d+/, 'stdout');
  const client = docs.background(clientBlock, { cwd: REPO_ROOT });
  // The first UDP send is at once, the second two seconds later.
  await client.waitFor(/^tcp: hello, test\nudp: hello, test\nudp: hello, test\n/);
  await client.stop();
  docs.checkOutput(output, client.stdout(), { prefix: true });
  assert.match(server.stdout(), /"test" -> "hello, test"/, 'the server logs the exchange');
});

test('examples/README: every block is run by this test or marked not run with a reason', () => {
  docs.assertAllCovered();
});
