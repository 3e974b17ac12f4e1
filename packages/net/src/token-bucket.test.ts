import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { TokenBucket } from './token-bucket.js';

test('a burst of one second’s worth, then the rate', () => {
  const bucket = new TokenBucket(10, 0);
  let taken = 0;
  for (let i = 0; i < 50; i++) if (bucket.take(0)) taken += 1;
  assert.equal(taken, 10);
  assert.equal(bucket.take(50), false, 'half a token after 50 ms');
  assert.equal(bucket.take(100), true, 'one token after 100 ms');
  taken = 0;
  for (let i = 0; i < 50; i++) if (bucket.take(5000)) taken += 1;
  assert.equal(taken, 10, 'never more than one second’s worth saved up');
});
