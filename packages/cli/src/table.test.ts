import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { fold, keyValueList, pairs, renderTable } from './table.js';

test('columns line up and the last column is not padded', () => {
  const text = renderTable(['#', 'action', 'result'], [['1', 'ping', 'ok'], ['10', 'read_pin', 'ok value=1']]);
  assert.equal(text, ['#   action    result', '--  --------  ----------', '1   ping      ok', '10  read_pin  ok value=1', ''].join('\n'));
});

test('pairs flattens nested objects and quotes strings with spaces', () => {
  assert.equal(
    pairs({ info: { board: 'Pico W (sim)', pins: [1, 2], last_update: { status: 'none' } }, value: 1 }),
    'info.board="Pico W (sim)" info.pins=1,2 info.last_update.status=none value=1',
  );
  assert.equal(pairs({ empty: {}, text: '' }), 'empty={} text=""');
});

test('fold breaks long text after a space or comma, never past the width', () => {
  assert.deepEqual(fold('pipeline,events,leases,failsafe', 16), ['pipeline,events,', 'leases,failsafe']);
  assert.deepEqual(fold('pin 9 is not set up; send setup_pin first', 20), ['pin 9 is not set up;', 'send setup_pin first']);
  assert.deepEqual(fold('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
});

test('a multi-line cell takes several rows; a key/value list aligns its keys', () => {
  const list = keyValueList({ mem_free: 1024, last_update: { status: 'none' } }, 40);
  assert.equal(list, ['mem_free            1024', 'last_update.status  none'].join('\n'));
  assert.equal(renderTable(['#', 'result'], [['1', `ok\n${list}`], ['2', 'ok']]), ['#  result', '-  ------------------------', '1  ok', `   mem_free            1024`, '   last_update.status  none', '2  ok', ''].join('\n'));
});
