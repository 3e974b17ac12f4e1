/** Starting a device for one test: loopback, port 0, closed when the test ends. */
import { startDevice } from '../src/index.js';
import type { DeviceOptions, RunningDevice, SimulatedBackend } from '../src/index.js';
import { LineClient } from '@picolink/test-kit/line-client';
import type { LineClientOptions } from '@picolink/test-kit/line-client';

export interface TestDevice extends RunningDevice<SimulatedBackend> {
  /** Log lines written so far. */
  logs: string[];
  /** A new raw client, closed when the test ends. */
  connect(options?: LineClientOptions): Promise<LineClient>;
}

interface TestContext {
  after(fn: () => unknown): void;
}

export async function startTestDevice(t: TestContext, options: DeviceOptions<SimulatedBackend> = {}): Promise<TestDevice> {
  const logs: string[] = [];
  const clients: LineClient[] = [];
  const device = await startDevice<SimulatedBackend>({
    host: '127.0.0.1',
    port: 0,
    deviceId: 'test-pico',
    actionDelayMs: 30,
    log: (line) => logs.push(line),
    ...options,
  });
  t.after(async () => {
    for (const client of clients) client.close();
    await device.close();
  });
  return {
    ...device,
    logs,
    async connect(clientOptions?: LineClientOptions) {
      const client = await LineClient.connect(device.port, clientOptions);
      clients.push(client);
      return client;
    },
  };
}
