import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import { ErrorCode } from '@picolink/protocol';
import { closeTcp, listenOn, listenTcp, tcpPort } from '../src/listen.js';
import { isAddressInUse } from '../src/socket-errors.js';

test('a port in use is PL_ERR_LISTEN_FAILED naming the address and what to do', async () => {
  const first = await listenTcp('127.0.0.1', 0);
  const port = tcpPort(first);
  try {
    const busy = createServer();
    const err = await listenOn(busy, '127.0.0.1', port).then(
      () => assert.fail('listened on a busy port'),
      (e: unknown) => e,
    );
    assert.equal((err as { code?: string }).code, ErrorCode.LISTEN_FAILED);
    assert.equal((err as Error).message, `cannot listen on tcp 127.0.0.1:${port}: the port is already in use; stop the program using it or choose another port`);
    assert.equal(isAddressInUse(err), true);
    assert.equal(busy.listening, false);
  } finally {
    await closeTcp(first);
  }
});

test('an address this computer does not have is named as such', async () => {
  await assert.rejects(listenTcp('192.0.2.1', 0), { code: ErrorCode.LISTEN_FAILED, message: /^cannot listen on tcp 192\.0\.2\.1:0: this computer has no such address/ });
});
