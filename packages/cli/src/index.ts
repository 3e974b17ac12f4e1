export { runCli } from './run.js';
export type { Output } from './output.js';
export { ExitCode } from './exit-codes.js';
export { startDemo, DEFAULT_DEMO_DEVICES } from './commands/start-demo.js';
export type { RunningDemo, StartDemoOptions } from './commands/start-demo.js';
export { MAX_DEMO_DEVICES } from './commands/demo-crowd.js';
