/**
 * The server side of the session benchmarks: what a server child process (bench/sessions-hub.ts,
 * bench/cluster-hub.ts) answers over IPC — `count`, `memory` (after a full GC), `round`
 * (one request to every session, with the CPU time it took) and `stop` — and the hub's
 * heartbeat round over its directory. Run the child with --expose-gc.
 */
import type { DeviceDirectory } from '@picolink/hub';
import type { Memory } from './sessions-child.js';

type Command = { type: 'memory' } | { type: 'round'; timeoutMs: number } | { type: 'count' } | { type: 'stop' };

/** A server holding sessions, as a child process measures it. */
export interface Served {
  count(): number;
  round(timeoutMs: number): Promise<{ answered: number; ms: number }>;
  stop(): Promise<void>;
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) collect();
}

/** Memory after a full GC. */
export function memory(): Memory {
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed + usage.external + usage.arrayBuffers, rss: usage.rss };
}

/** A heartbeat round as the hub runs one: a ping on every link it holds, all answers awaited. */
export async function pingRound(directory: DeviceDirectory, timeoutMs: number): Promise<{ answered: number; ms: number }> {
  const started = performance.now();
  const replies = await Promise.allSettled(directory.list().map((link) => link.send({ action: 'ping' }, { timeoutMs })));
  const answered = replies.filter((reply) => reply.status === 'fulfilled').length;
  return { answered, ms: performance.now() - started };
}

/** Sends `ready` (with `fields` and the memory now), then answers the parent's commands until `stop`. */
export function serve(served: Served, fields: Record<string, unknown>): void {
  process.send?.({ type: 'ready', ...fields, memory: memory() });
  process.on('message', function servedOnMessage(message: Command) {
    void (async () => {
      switch (message.type) {
        case 'count':
          return process.send?.({ type: 'count', count: served.count() });
        case 'memory':
          return process.send?.({ type: 'memory', memory: memory(), count: served.count() });
        case 'round': {
          const cpu = process.cpuUsage();
          const result = await served.round(message.timeoutMs);
          const used = process.cpuUsage(cpu);
          return process.send?.({ type: 'round', ...result, cpuMs: (used.user + used.system) / 1000 });
        }
        case 'stop':
          await served.stop();
          process.exit(0);
      }
    })();
  });
}
