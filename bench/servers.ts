/**
 * The servers a benchmark measures, each started in its own process so the load
 * generator and the server use separate cores: the simulated picolink device, and a
 * minimal line-echo server as the reference.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface BenchServer {
  port: number;
  stop(): Promise<void>;
}

export async function startServerProcess(kind: 'device' | 'echo'): Promise<BenchServer> {
  const script = fileURLToPath(new URL('./server-process.js', import.meta.url));
  const child: ChildProcess = fork(script, [kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} server did not start within 10 s`)), 10_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve((message as { port: number }).port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited with ${code}`));
    });
  });
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
