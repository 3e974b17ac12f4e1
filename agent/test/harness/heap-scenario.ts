/**
 * The heap the agent keeps on a board in use, for the heap tests of the WebAssembly and the
 * unix-port routes: WiFi, status LED, watchdog, signed telemetry with acks (nobody
 * acknowledges, so its resend buffer is full), three clients, one holding an output with a
 * lease and a safe value, two watching pins, and an input change delivered.
 */
import { strict as assert } from 'node:assert';
import { Board } from '@picolink/test-kit/board';
import type { MemoryReport, Runtime } from '@picolink/test-kit/board';
import { delay, LineClient } from './line-client.js';

interface TestContext {
  after(fn: () => unknown): void;
  diagnostic(message: string): void;
}

/**
 * 40 KiB: the most the agent may keep on a Pico W, code included; the unix32 heap test
 * enforces it (agent/README.md, "Memory").
 */
export const HEAP_GOAL_BYTES = 40 * 1024;

/** The scenario's telemetry: signed, with acks (nobody acknowledges, so the resend buffer fills). */
const SCENARIO_TELEMETRY = { target: '127.0.0.1:9', interval_ms: 50, sensors: ['temp_c', 'adc0', 'pin2'], key: 'k'.repeat(32), ack: true };

/**
 * Boots the agent in the scenario on `runtime` and returns the least of five heap readings;
 * `telemetry` replaces the scenario's config.json "telemetry" (to compare ways of sending it).
 */
export async function steadyStateHeap(t: TestContext, runtime: Runtime, telemetry: Record<string, unknown> = SCENARIO_TELEMETRY): Promise<{ board: Board; report: MemoryReport }> {
  const board = await Board.start(t, runtime, {
    config: {
      ssid: 'lab',
      pwd: 'secret',
      status_led: true,
      watchdog_ms: 4000,
      telemetry,
    },
  });
  const clients = await Promise.all([0, 1, 2].map(() => LineClient.connect(board.port)));
  t.after(() => clients.forEach((c) => c.close()));
  const [a, b, c] = clients as [LineClient, LineClient, LineClient];
  await a.request({ action: 'setup_pin', pin: 2, mode: 'output', value: 1, safe: 0 });
  await a.request({ action: 'write_pin', pin: 2, value: 0, timeout: 60 });
  await b.request({ action: 'setup_pin', pin: 14, mode: 'input', pull: 'up' });
  await b.request({ action: 'watch_pin', pin: 14 });
  await c.request({ action: 'watch_pin', pin: 2 });
  for (const client of clients) {
    for (const action of ['get_version', 'get_info', 'list_actions', 'ping']) await client.request({ action });
  }
  board.setInput(14, 0);
  await b.event('pin_change');
  await delay(500); // telemetry fills its resend buffer
  // MicroPython's collector also scans the C stack, which can hold stale pointers for a
  // moment: the least of a few readings is the heap the agent really keeps.
  let report = await board.memory();
  for (let i = 0; i < 4; i++) {
    await delay(100);
    const again = await board.memory();
    if (again.agent < report.agent) report = again;
  }
  return { board, report };
}

/**
 * The scenario on `runtime`: prints the agent's heap as the test's diagnostic line and
 * fails when it is `budgetBytes` or more, or when the agent printed a traceback.
 */
export async function checkSteadyStateHeap(t: TestContext, runtime: Runtime, budgetBytes: number): Promise<void> {
  const { board, report } = await steadyStateHeap(t, runtime);
  t.diagnostic(`agent heap after gc.collect(): ${report.agent} bytes (${(report.agent / 1024).toFixed(1)} KiB); interpreter baseline ${report.baseline} bytes; free ${report.free} bytes`);
  assert.ok(report.agent > 0);
  assert.ok(report.agent < budgetBytes, `the agent keeps ${report.agent} bytes, more than ${budgetBytes}`);
  board.assertNoTraceback();
}
