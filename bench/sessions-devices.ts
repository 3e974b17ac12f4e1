/**
 * Child process for bench/sessions.ts: many lightweight simulated devices in one process.
 * Argument 2: the port; 3: how many connections; 4: "hello" (dial home: say hello first)
 * or "bare" (no hello, for the reference server); 5: a prefix for device ids; 6 (optional):
 * "paced" — a connection counts as opened once welcomed (or closed), so at most a few
 * hundred wait for a welcome at once, as devices backing off would. Either way each
 * connection answers requests (ping, get_info) the way a device does.
 * Connections are opened a few hundred at a time so the listen backlog never overflows.
 * Answers `welcomed` with the welcomes received and the connections that have ended.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

const [, , portText, countText, mode, prefix, pacing] = process.argv;
const paced = pacing === 'paced' && mode === 'hello';
const port = Number(portText);
const count = Number(countText);
const CONNECTING_AT_ONCE = 200;
const sockets: Socket[] = [];
let welcomed = 0;
let failed = 0;
/** Connections that ended (the hub closed them, e.g. no hello read in time under load). */
let closed = 0;

/** The same work for both servers: every request is parsed and answered as a device would. */
function answer(line: string): string | undefined {
  let frame: Record<string, unknown>;
  try {
    frame = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof frame.ok === 'boolean') {
    if (frame.action === 'hello' && frame.ok) welcomed += 1;
    return undefined;
  }
  if (typeof frame.action !== 'string') return undefined;
  const reply: Record<string, unknown> = { ...frame, ok: true, time_received: Date.now() * 1e6 };
  if (frame.action === 'get_info') reply.info = { firmware: 'bench', device_id: 'bench' };
  else if (frame.action !== 'ping') Object.assign(reply, { ok: false, error: 'not simulated', code: 'PL_ERR_UNKNOWN_ACTION', exception: 'ValueError' });
  return JSON.stringify(reply) + '\n';
}

function open(index: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.setNoDelay(true);
      sockets.push(socket);
      if (mode === 'hello') {
        socket.write(JSON.stringify({ id: 1, action: 'hello', device: `${prefix}-${index}`, protocol: 1, firmware: 'bench', capabilities: ['pipeline'], boot: index }) + '\n');
      }
      if (!paced) resolve();
    });
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const before = welcomed;
      pending += text;
      let out = '';
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
        const reply = answer(pending.slice(0, end));
        pending = pending.slice(end + 1);
        if (reply !== undefined) out += reply;
      }
      if (out.length > 0) socket.write(out);
      if (welcomed > before) resolve();
    });
    socket.on('error', () => {
      failed += 1;
      resolve();
    });
    socket.on('close', () => {
      closed += 1;
      resolve();
    });
  });
}

// Listening first: the parent asks how many are welcomed while they are still being opened.
process.on('message', (message: { type: string }) => {
  if (message.type === 'welcomed') process.send?.({ type: 'welcomed', welcomed, closed });
  if (message.type === 'stop') {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});

let next = 0;
async function worker(): Promise<void> {
  while (next < count) await open(next++);
}
await Promise.all(Array.from({ length: Math.min(CONNECTING_AT_ONCE, count) }, () => worker()));
process.send?.({ type: 'opened', opened: sockets.length, failed });

