// Telemetry over MQTT with the agent under CPython, against a real Mosquitto
// (mqtt-suite.ts); the unix ports run the same in mqtt.unixport.test.ts.
import { mqttSuite } from './mqtt-suite.js';

mqttSuite('cpython');
