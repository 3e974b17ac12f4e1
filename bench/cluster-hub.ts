/**
 * Child process for bench/cluster-sessions.ts and bench/cluster-commands.ts: one whole hub
 * (`startHub`) on the store given, with its API open on loopback (auth off) and every
 * port picked by the system. Argument 2: the store — a postgres:// URL (a cluster member)
 * or "sqlite" (a file in a temp directory); argument 3: gateway.heartbeatMs. Driven over
 * IPC as bench/sessions-probe.ts says; `ready` carries httpPort and gatewayPort. Run with
 * --expose-gc.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, startHub } from '@picolink/hub';
import { pingRound, serve } from './sessions-probe.js';

const [, , storeArg = 'sqlite', heartbeatArg = '15000'] = process.argv;
const dataDir = mkdtempSync(join(tmpdir(), 'picolink-bench-cluster-'));
const config = parseConfig({
  dataDir,
  ...(storeArg === 'sqlite' ? {} : { store: { postgres: storeArg } }),
  http: { host: '127.0.0.1', port: 0, auth: false },
  gateway: { host: '127.0.0.1', port: 0, acceptUnknownDevices: true, heartbeatMs: Number(heartbeatArg) },
  telemetry: { host: '127.0.0.1', port: 0 },
});
const hub = await startHub({ config, log: (line) => process.stderr.write(`hub: ${line}\n`) });
serve(
  {
    count: () => hub.directory.list().length,
    round: (timeoutMs) => pingRound(hub.directory, timeoutMs),
    stop: async () => {
      await hub.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  },
  { httpPort: hub.httpPort, gatewayPort: hub.gatewayPort },
);
