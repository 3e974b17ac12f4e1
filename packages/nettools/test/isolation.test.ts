/**
 * A message server isolates failures (issue 8): a handler that throws while handling one
 * client's message closes that client, reported with PL_ERR_INTERNAL; the process lives
 * and the other clients keep being answered.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { MessageTcpServer } from '../src/server/message-tcp-server.js';
import type { CloseInfo } from '../src/server/message-tcp-server.js';
import { RawTcpClient, until } from './raw-peers.js';

test('a message handler that throws closes only that client, with PL_ERR_INTERNAL', async (t) => {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', () => resolve()));
  const closes: CloseInfo[] = [];
  const server = new MessageTcpServer(
    listener,
    {
      onMessage(connection, message) {
        const text = Buffer.from(message).toString('utf8');
        if (text === 'boom') throw new Error('handler bug');
        connection.send(`echo ${text}`);
      },
      onClose: (_connection, info) => closes.push(info),
    },
    { delimiter: 'lf' },
  );
  t.after(() => server.close());
  const port = (listener.address() as AddressInfo).port;
  const bystander = await RawTcpClient.connect(port);
  const victim = await RawTcpClient.connect(port);
  t.after(() => {
    bystander.close();
    victim.close();
  });
  victim.write('hi\nboom\nnever\n');
  await victim.waitFor('echo hi');
  await victim.waitClosed();
  assert.equal(victim.text.includes('never'), false, 'nothing after the failure is handled');
  await until(() => closes.length === 1, 'the close reported');
  assert.equal(closes[0]?.error?.code, 'PL_ERR_INTERNAL');
  assert.match(closes[0]?.error?.message ?? '', /handler bug/);
  bystander.write('still\n');
  await bystander.waitFor('echo still');
});
