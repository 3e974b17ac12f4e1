/**
 * `npm run bench -- NAME`: runs one benchmark (or all with no name). Benchmarks are never
 * part of `npm test`; each prints its figures beside a reference measured in the same run.
 * Options after the names (`npm run bench -- pg-ingest --rows 100000000`) are the
 * benchmark's own; it reads them from process.argv.
 */
import { benchAckKill } from './ackkill.js';
import { benchClusterCommands } from './cluster-commands.js';
import { benchClusterSessions } from './cluster-sessions.js';
import { benchCommands } from './commands.js';
import { benchDashboard } from './dashboard.js';
import { benchDemoFleet } from './demo-fleet.js';
import { benchFlood } from './flood.js';
import { benchFuzz } from './fuzz.js';
import { benchIngest } from './ingest.js';
import { benchMqttBridge } from './mqtt-bridge.js';
import { benchPgIngest } from './pg-ingest.js';
import { benchSessions } from './sessions.js';
import { benchSlots } from './slots.js';

const BENCHMARKS: Record<string, () => Promise<void>> = {
  ackkill: benchAckKill,
  'cluster-commands': benchClusterCommands,
  'cluster-sessions': benchClusterSessions,
  commands: benchCommands,
  dashboard: benchDashboard,
  'demo-fleet': benchDemoFleet,
  flood: benchFlood,
  fuzz: benchFuzz,
  ingest: benchIngest,
  'mqtt-bridge': benchMqttBridge,
  'pg-ingest': benchPgIngest,
  sessions: benchSessions,
  slots: benchSlots,
};

const args = process.argv.slice(2);
const firstOption = args.findIndex((arg) => arg.startsWith('--'));
const names = firstOption < 0 ? args : args.slice(0, firstOption);
const chosen = names.length === 0 ? Object.keys(BENCHMARKS) : names;
for (const name of chosen) {
  const bench = BENCHMARKS[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; available: ${Object.keys(BENCHMARKS).join(', ')}`);
    process.exit(2);
  }
  console.log(`== ${name} ==`);
  await bench();
}
