/** The `picolink` executable. */
import { processOutput } from './output.js';
import { runCli } from './run.js';

// The CLI says warnings in one line of its own (warnings.ts), not in Node's form with a --trace-warnings hint.
process.removeAllListeners('warning');
const code = await runCli(process.argv.slice(2), processOutput);
process.exitCode = code;
