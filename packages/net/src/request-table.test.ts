import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import { RequestTable } from './request-table.js';
import type { RequestTableOptions, TableRequest } from './request-table.js';

function table(options: Partial<RequestTableOptions> = {}): { table: RequestTable; written: TableRequest[] } {
  const written: TableRequest[] = [];
  const t = new RequestTable({
    transmit: (request) => void written.push(request),
    timeoutError: (request) => new PicolinkError(ErrorCode.TIMEOUT, `no answer to ${String(request.fields.action)}`),
    ...options,
  });
  return { table: t, written };
}

test('pipelined: every request is written at once and answered by its id, in any order', async () => {
  const { table: t, written } = table();
  const a = t.add({ action: 'ping' }, 1000);
  const b = t.add({ action: 'get_info' }, 1000);
  assert.deepEqual(written.map((r) => r.seq), [1, 2]);
  assert.equal(t.settleSeq(2, { id: 2, ok: true, which: 'b' }), true);
  assert.equal(t.settleSeq(1, { id: 1, ok: true, which: 'a' }), true);
  assert.deepEqual([(await a).which, (await b).which], ['a', 'b']);
  assert.equal(t.settleSeq(1, {}), false, 'an answered request is answered once');
  assert.equal(t.wasIssued(1), true);
  assert.equal(t.wasIssued(3), false);
});

test('one at a time: the next request is written when the previous one is answered', async () => {
  const { table: t, written } = table({ pipelined: false });
  const a = t.add({ action: 'ping' }, 1000);
  const b = t.add({ action: 'ping' }, 1000);
  assert.equal(written.length, 1);
  assert.equal(t.size, 2);
  t.settle(t.oldestInFlight() as TableRequest, { ok: true });
  await a;
  assert.equal(written.length, 2);
  t.settleSeq(2, { ok: true });
  await b;
  assert.equal(t.size, 0);
});

test('a request times out on its own; the one queued behind it is written then, with its own time', async () => {
  const { table: t, written } = table({ pipelined: false });
  const slow = t.add({ action: 'sleep' }, 30);
  const next = t.add({ action: 'ping' }, 1000);
  await assert.rejects(slow, { code: ErrorCode.TIMEOUT, message: 'no answer to sleep' });
  assert.equal(written.length, 2);
  t.settleSeq(2, { ok: true });
  assert.deepEqual(await next, { ok: true });
});

test('beyond the cap a request is refused at once; one that cannot be written fails alone', async () => {
  const { table: t } = table({
    maxPending: 2,
    tooManyError: (pending) => new PicolinkError(ErrorCode.RATE_LIMITED, `${pending} waiting`),
    transmit: (request) => {
      if (request.fields.action === 'update') throw new PicolinkError(ErrorCode.FRAME_TOO_LARGE, 'too large');
    },
  });
  const a = t.add({ action: 'ping' }, 1000);
  const b = t.add({ action: 'ping' }, 1000);
  await assert.rejects(t.add({ action: 'ping' }, 1000), { code: ErrorCode.RATE_LIMITED, message: '2 waiting' });
  t.settleSeq(1, { ok: true });
  await a;
  await assert.rejects(t.add({ action: 'update' }, 1000), { code: ErrorCode.FRAME_TOO_LARGE });
  t.rejectAll((request) => new PicolinkError(ErrorCode.CONNECTION_CLOSED, `closed before ${request.seq}`));
  await assert.rejects(b, { code: ErrorCode.CONNECTION_CLOSED, message: 'closed before 2' });
});

test('a close while a request is being written fails that request too', async () => {
  const t: RequestTable = new RequestTable({
    transmit: () => t.rejectAll(() => new PicolinkError(ErrorCode.CONNECTION_CLOSED, 'gone')),
    timeoutError: () => new PicolinkError(ErrorCode.TIMEOUT, 'late'),
  });
  await assert.rejects(t.add({ action: 'ping' }, 50), { code: ErrorCode.CONNECTION_CLOSED });
  assert.equal(t.size, 0);
});
