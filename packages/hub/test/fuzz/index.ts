/**
 * The hub's fuzz targets (docs/fuzzing.md), imported by the tests beside this folder and
 * by `npm run bench -- fuzz` as `#hub-fuzz` (the root package.json "imports"):
 *
 * - hub-process.ts      the hub under attack, in a child process, with a probe device online
 * - hub-start.ts        starting it
 * - hub-probe.ts        the well-behaved client (a command through the hub to the device)
 * - gateway-targets.ts  the dial-home gateway before and after a valid hello
 * - link-target.ts      a hub:// device link (WebSocket)
 * - http-target.ts      the HTTP API, raw requests
 * - telemetry-target.ts the telemetry UDP port
 */
export { gatewayDeviceFuzzTarget, gatewayHelloFuzzTarget } from './gateway-targets.js';
export { linkFuzzTarget } from './link-target.js';
export { httpFuzzTarget, httpAnswerProblem } from './http-target.js';
export { telemetryFuzzTarget, fuzzDatagram } from './telemetry-target.js';
export { startHubTarget } from './hub-start.js';
