/**
 * A deliberately fragile line server for the fuzzer's own test (campaign.test.ts): it
 * answers `ping` requests like a device, answers a frame holding "constructor" with an
 * error whose code is not a picolink code, and throws (killing the process) on a frame
 * holding "__defineGetter__" (a prototype key the generator uses rarely), so that a test
 * can check that the fuzzer sees a death, names the input that killed, and flags a bad
 * reply.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { LineDecoder } from '@picolink/protocol';

function serve(socket: Socket): void {
  const decoder = new LineDecoder();
  socket.on('error', () => socket.destroy());
  socket.on('data', function fragileOnData(chunk: Buffer) {
    for (const decoded of decoder.push(chunk)) {
      const line = decoded.line;
      if (line === undefined) continue;
      if (line.includes('__defineGetter__')) throw new Error('the fragile target met __defineGetter__');
      if (line.includes('constructor')) {
        socket.write('{"ok":false,"error":"no","code":"PL_ERR_NOT_A_CODE"}\n');
        continue;
      }
      let id: unknown;
      try {
        id = (JSON.parse(line) as { id?: unknown }).id;
      } catch {
        continue;
      }
      if (line.includes('"ping"')) socket.write(JSON.stringify({ id, ok: true }) + '\n');
    }
  });
}

const server = createServer(serve);
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.once('SIGTERM', () => process.exit(0));
process.once('disconnect', () => process.exit(0));
