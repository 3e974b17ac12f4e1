/**
 * The structure-aware fuzzer shared by the tests and `npm run bench -- fuzz`
 * (docs/fuzzing.md), imported as `@picolink/test-kit/fuzz`:
 *
 * - random.ts        seeded generator; (seed, index) rebuilds any input
 * - json-text.ts     JSON values with repeatable keys and raw text
 * - seeds.ts         the messages mutated, from test-vectors/
 * - frames.ts        frame mutations (control channel, hello, telemetry)
 * - stream.ts        line endings and cutting a batch into writes
 * - http-requests.ts raw HTTP requests for the hub's API
 * - oracle.ts        what a reply must look like
 * - campaign.ts      sessions, the well-behaved client, deaths and their isolation
 * - line-session.ts  sessions over TCP line protocols
 * - target-process.ts the target in a child process
 * - verdict.ts       the test suite's assertions on a report
 */
export * from './random.js';
export * from './json-text.js';
export * from './seeds.js';
export * from './frames.js';
export * from './stream.js';
export * from './http-requests.js';
export * from './oracle.js';
export * from './latency.js';
export * from './campaign.js';
export * from './line-session.js';
export * from './target-process.js';
export * from './verdict.js';

import type { FuzzFrame } from './frames.js';
import { excerpt } from './oracle.js';

/** A frame in words for reports: its mutations and the start of its bytes. */
export function describeFrame(frame: FuzzFrame): string {
  return `${frame.mutation} (${frame.bytes.length} bytes) ${excerpt(frame.bytes, 120)}`;
}
