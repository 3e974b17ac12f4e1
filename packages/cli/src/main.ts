/** The `picolink` executable. */
import { processOutput } from './output.js';
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), processOutput);
process.exitCode = code;
