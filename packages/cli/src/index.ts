export { runCli } from './run.js';
export type { Output } from './output.js';
export { ExitCode } from './exit-codes.js';
