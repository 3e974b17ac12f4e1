/**
 * Child process for bench/cluster-commands.ts: one simulated picolink device (the real
 * device runtime, `startDevice`) dialing home to the hub gateway on 127.0.0.1 at the port
 * in argument 2, as device id argument 3. Sends `ready` once started; `stop` closes it.
 */
import { startDevice } from '@picolink/device';

const [, , portText, deviceId = 'bench-device'] = process.argv;
const device = await startDevice({ host: '127.0.0.1', port: 0, deviceId, hub: { hub: { host: '127.0.0.1', port: Number(portText) } } });
process.send?.({ type: 'ready' });
process.on('message', function deviceOnMessage(message: { type: string }) {
  if (message.type !== 'stop') return;
  void device.close().then(() => process.exit(0));
});
