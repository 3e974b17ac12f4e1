/**
 * A hub in its own process, for tests and benchmarks that kill it: `node hub-process.js
 * CONFIG_PATH` (forked, with IPC) runs startHub with the configuration file (picolink.json
 * form; ports 0 for the parent to learn) and sends `{ telemetryPort, httpPort, gatewayPort }` once it
 * listens. Answers `{ cmd: "rows", deviceId, metric }` with `{ values }` (every stored
 * value of that metric, through the store API) and `{ cmd: "stop" }` by closing and exiting.
 */
import { readFileSync } from 'node:fs';
import { parseConfig, startHub } from '@picolink/hub';

export interface HubProcessReady {
  telemetryPort: number;
  httpPort: number;
  gatewayPort: number;
}

export type HubProcessRequest = { cmd: 'rows'; deviceId: string; metric: string } | { cmd: 'stop' };

const config = parseConfig(JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as unknown);
const hub = await startHub({ config, log: (line) => process.stderr.write(`hub: ${line}\n`) });
process.on('message', function hubOnMessage(request: HubProcessRequest) {
  void (async () => {
    if (request.cmd === 'rows') {
      const rows = await hub.store.queryTelemetry({ deviceId: request.deviceId, metric: request.metric, from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1_000_000 });
      process.send?.({ values: rows.map((row) => row.value) });
    } else if (request.cmd === 'stop') {
      await hub.close();
      process.exit(0);
    }
  })();
});
const ready: HubProcessReady = { telemetryPort: hub.telemetryPort, httpPort: hub.httpPort, gatewayPort: hub.gatewayPort };
process.send?.(ready);
