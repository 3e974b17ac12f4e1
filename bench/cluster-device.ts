/**
 * Child process for bench/cluster-commands.ts: simulated picolink devices (the real device
 * runtime, `startDevice`) dialing home to the hub gateway on 127.0.0.1 at the port in
 * argument 2; argument 3 is how many, argument 4 the prefix of their ids (`PREFIX-0`, ...).
 * Sends `ready` once all are started; `stop` closes them.
 */
import { startDevice } from '@picolink/device';

const [, , portText, countText = '1', prefix = 'bench-device'] = process.argv;
const hub = { host: '127.0.0.1', port: Number(portText) };
const devices = await Promise.all(Array.from({ length: Number(countText) }, (_, i) => startDevice({ host: '127.0.0.1', port: 0, deviceId: `${prefix}-${i}`, hub: { hub } })));
process.send?.({ type: 'ready' });
process.on('message', function devicesOnMessage(message: { type: string }) {
  if (message.type !== 'stop') return;
  void Promise.all(devices.map((device) => device.close())).then(() => process.exit(0));
});
