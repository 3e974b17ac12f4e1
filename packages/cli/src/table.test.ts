import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pairs, renderTable } from './table.js';

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
