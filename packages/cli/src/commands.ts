/**
 * The command table. Each command's module is imported only when it runs (or its help is
 * asked for), so `picolink --version` and `picolink send` never load the hub's fastify
 * and better-sqlite3: a quick command starts in a fraction of the time and memory.
 */
import type { ExitCodeValue } from './exit-codes.js';
import type { Output } from './output.js';

export type CommandRun = (argv: readonly string[], io: Output, signal?: AbortSignal) => Promise<ExitCodeValue>;

export interface Command {
  run: CommandRun;
  help: string;
}

/** A command whose module is imported on first use. */
function lazy<M>(load: () => Promise<M>, pick: (module: M) => Command): () => Promise<Command> {
  return async () => pick(await load());
}

export const COMMANDS: Record<string, () => Promise<Command>> = {
  send: lazy(() => import('./commands/send.js'), (m) => ({ run: m.runSend, help: m.SEND_HELP })),
  ping: lazy(() => import('./commands/ping.js'), (m) => ({ run: m.runPing, help: m.PING_HELP })),
  device: lazy(() => import('./commands/device.js'), (m) => ({ run: m.runDevice, help: m.DEVICE_HELP })),
  certs: lazy(() => import('./commands/certs.js'), (m) => ({ run: m.runCerts, help: m.CERTS_HELP })),
  demo: lazy(() => import('./commands/demo.js'), (m) => ({ run: m.runDemo, help: m.DEMO_HELP })),
  hub: lazy(() => import('./commands/hub.js'), (m) => ({ run: m.runHub, help: m.HUB_HELP })),
  serve: lazy(() => import('./commands/serve.js'), (m) => ({ run: m.runServe, help: m.SERVE_HELP })),
  term: lazy(() => import('./commands/term.js'), (m) => ({ run: m.runTerm, help: m.TERM_HELP })),
  agent: lazy(() => import('./commands/agent.js'), (m) => ({ run: m.runAgent, help: m.AGENT_HELP })),
  watch: lazy(() => import('./commands/watch.js'), (m) => ({ run: m.runWatch, help: m.WATCH_HELP })),
  update: lazy(() => import('./commands/update.js'), (m) => ({ run: m.runUpdate, help: m.UPDATE_HELP })),
  sim: lazy(() => import('./commands/sim.js'), (m) => ({ run: m.runSim, help: m.SIM_HELP })),
};
