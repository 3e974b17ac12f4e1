/**
 * Child process for bench/ackkill.ts: the reference for ack latency, the order the hub
 * used before acks waited for the commit. The same parts as the hub's ingest — a UDP
 * socket on 127.0.0.1:0, inspectTelemetry, a TelemetryWriter into SQLite in a temp
 * directory — but each datagram is acked the moment it is queued, not once it is stored.
 * Sends {port} when listening; {cmd:"stop"} closes it.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTelemetryAck, inspectTelemetry } from '@picolink/protocol';
import { openSqliteStore, TelemetryWriter } from '@picolink/hub';

const dir = mkdtempSync(join(tmpdir(), 'picolink-bench-ackref-'));
const store = await openSqliteStore({ path: join(dir, 'hub.db') });
const writer = new TelemetryWriter(store);
const socket = createSocket('udp4');
await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
socket.on('message', function referenceOnMessage(message, from) {
  const inspection = inspectTelemetry(message.toString('utf8'));
  if (!inspection.ok) return;
  const datagram = inspection.message;
  const time = datagram.time ?? Date.now();
  for (const metric in datagram.readings) writer.add({ deviceId: datagram.device, metric, time, value: datagram.readings[metric] as number });
  if (datagram.ack === true) socket.send(encodeTelemetryAck({ v: 1, device: datagram.device, boot: datagram.boot, ack: datagram.seq }), from.port, from.address);
});
process.on('message', (message: { cmd: string }) => {
  if (message.cmd !== 'stop') return;
  void (async () => {
    await writer.close();
    socket.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  })();
});
process.send?.({ port: socket.address().port });
