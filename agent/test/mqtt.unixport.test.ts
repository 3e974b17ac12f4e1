// Telemetry over MQTT on MicroPython's unix ports (mqtt-suite.ts, against a real
// Mosquitto), and what it costs the agent's heap on `unix32` beside the same telemetry over
// UDP. `npm run test:micropython` runs this file.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startMosquitto } from '@picolink/test-kit/mosquitto';
import { steadyStateHeap } from './harness/heap-scenario.js';
import { KEY, mqttSuite } from './mqtt-suite.js';

/** The most MQTT telemetry may add to the agent's heap (agent/README.md, "Memory"). */
const MQTT_HEAP_LIMIT_BYTES = 6 * 1024;

mqttSuite('unix');
mqttSuite('unix32');

test('unix32: MQTT telemetry costs the agent less than 6 KiB of heap beside the same telemetry over UDP', async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const sensors = ['temp_c', 'adc0', 'pin2'];
  // The same scenario both ways, unacknowledged (MQTT has no acks), so the difference is the
  // publisher: its module, its connection and the names it interns.
  const udp = await steadyStateHeap(t, 'unix32', { target: '127.0.0.1:9', interval_ms: 50, sensors, key: KEY });
  await udp.board.stop();
  const mqtt = await steadyStateHeap(t, 'unix32', { interval_ms: 50, sensors, key: KEY, mqtt: { broker: `127.0.0.1:${broker.port}` } });
  assert.match(mqtt.board.log, /picolink: mqtt 127\.0\.0\.1:\d+: connected/);
  const cost = mqtt.report.agent - udp.report.agent;
  t.diagnostic(`agent heap with telemetry over UDP ${udp.report.agent} bytes, over MQTT ${mqtt.report.agent} bytes: MQTT costs ${cost} bytes`);
  assert.ok(cost < MQTT_HEAP_LIMIT_BYTES, `MQTT telemetry costs ${cost} bytes`);
  mqtt.board.assertNoTraceback();
});
