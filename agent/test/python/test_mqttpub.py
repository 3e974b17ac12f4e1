# The agent's MQTT publisher (picolink/mqttpub.py): its packets byte for byte as MQTT 3.1.1
# (OASIS standard, sections 2.2.3, 3.1, 3.3, 3.12) lays them out, and its configuration's
# errors. The publisher against a real broker: test/mqtt.test.ts and mqtt.unixport.test.ts.
import unittest

from picolink import errors, mqttpub


class _Dev:
    device_id = 'pico-1'

    def log(self, msg):
        pass


class Packets(unittest.TestCase):
    def test_connect_with_clean_session_keepalive_and_credentials(self):
        self.assertEqual(
            mqttpub.connect('pico-1', 60, 'u', 'pw'),
            b'\x10\x19'  # CONNECT, 25 bytes follow
            b'\x00\x04MQTT\x04'  # protocol name, level 4 (3.1.1)
            b'\xc2\x00\x3c'  # username, password, clean session; keepalive 60 s
            b'\x00\x06pico-1\x00\x01u\x00\x02pw')

    def test_connect_without_credentials_sets_no_flags_for_them(self):
        self.assertEqual(mqttpub.connect('c', 300, '', ''), b'\x10\x0d\x00\x04MQTT\x04\x02\x01\x2c\x00\x01c')

    def test_remaining_length_takes_seven_bits_a_byte(self):
        for n, head in ((0, b'\x30\x00'), (127, b'\x30\x7f'), (128, b'\x30\x80\x01'), (321, b'\x30\xc1\x02'),
                        (16383, b'\x30\xff\x7f'), (16384, b'\x30\x80\x80\x01')):
            body = bytes(n)
            self.assertEqual(mqttpub.packet(0x30, body), head + body)

    def test_publish_is_qos_0_on_prefix_device_up_telemetry(self):
        sent = []
        p = mqttpub.Publisher(_Dev(), None, {'broker': 'broker.local', 'prefix': 'plant'})
        self.assertEqual(p.target, ('broker.local', 1883))
        p._put = sent.append
        p.send(b'{"v":1}')
        self.assertEqual(sent, [b'\x30\x22\x00\x19plant/pico-1/up/telemetry{"v":1}'])
        self.assertIsNone(p.recv())

    def test_nothing_is_sent_or_queued_while_disconnected(self):
        p = mqttpub.Publisher(_Dev(), None, {'broker': '10.0.0.2:8883'})
        self.assertEqual(p.target, ('10.0.0.2', 8883))
        p.send(b'{"v":1}')  # no connection: dropped, and nothing is kept
        self.assertIsNone(p._w)
        self.assertFalse(p._busy)


class Config(unittest.TestCase):
    def test_a_bad_mqtt_setting_is_a_config_error(self):
        for cfg in ('broker.local', {}, {'broker': 1883}, {'broker': ':1883'}, {'broker': 'b:0'}, {'broker': 'b:x'},
                    {'broker': 'b:70000'}, {'broker': 'b', 'keepalive_s': 0}, {'broker': 'b', 'keepalive_s': '60'}):
            try:
                mqttpub.Publisher(_Dev(), None, cfg)
            except errors.PicolinkError as e:
                self.assertEqual(e.code, 'PL_ERR_CONFIG')
                self.assertTrue(e.msg.startswith('config.json: "telemetry": "mqtt" '), e.msg)
            else:
                self.fail('accepted %r' % (cfg,))


if __name__ == '__main__':
    unittest.main()
