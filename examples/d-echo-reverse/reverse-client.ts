/**
 * Tutorial D, UDP: send one datagram to the reverse server and print the reply, or say
 * that none came within the read timeout (UDP gives no other sign of a lost datagram).
 *
 * Run: node examples/dist/d-echo-reverse/reverse-client.js --host HOST --port PORT --message "hello"
 */
import { UdpClient } from '@picolink/client';
import { isMain, numberOption, options } from '../support/program.js';
import type { EchoResult } from './echo-client.js';

export async function sendOverUdp(host: string, port: number, message: string, readTimeoutMs = 3000): Promise<EchoResult> {
  let udp: UdpClient;
  try {
    udp = await UdpClient.open(host, port);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  try {
    udp.send(message);
    const reply = await udp.receive(readTimeoutMs);
    if (reply) return { reply: reply.text };
    return { error: udp.unreachable?.message ?? `no reply from udp ${udp.target} within ${readTimeoutMs} ms` };
  } finally {
    await udp.close();
  }
}

if (isMain(import.meta.url)) {
  const args = options(['host', 'port', 'message', 'timeout']);
  if (!args.host || !args.port) {
    console.error('usage: node reverse-client.js --host HOST --port PORT [--message TEXT] [--timeout MS]');
    process.exit(2);
  }
  const result = await sendOverUdp(args.host, numberOption(args.port, 0), args.message ?? 'hello', numberOption(args.timeout, 3000));
  if (result.reply !== undefined) console.log(result.reply);
  else console.error(result.error);
  process.exitCode = result.reply !== undefined ? 0 : 3;
}
