# The agent's codec (picolink/framing.py, jsontext.py, proto.py) against the shared test
# vectors in test-vectors/, the same files packages/protocol's vectors.test.ts runs. Runs
# under CPython and under MicroPython (unittest from micropython-lib), so it avoids what
# MicroPython lacks.
import unittest

import asyncio

from picolink import config, datagram, errors, fault, framing, home, jsontext, neterr, proto, receive

try:
    from collections import OrderedDict
except ImportError:
    OrderedDict = dict

# Set by the runner (run_tests.py or the MicroPython host) before the tests run.
VECTOR_DIR = 'test-vectors'

# A Pico's MicroPython has single-precision floats (a 24-bit significand: about 7
# significant digits), as has the 32-bit unix port the tests run; CPython and the 64-bit
# ports have double precision. 2**24 + 1 is the first integer a single cannot hold.
SINGLE = float(2 ** 24 + 1) == float(2 ** 24)


def load(name):
    with open(VECTOR_DIR + '/' + name, 'rb') as f:
        # The files nest their cases a few levels deeper than any frame may.
        return jsontext.loads(f.read(), OrderedDict, 64)


def plain(v):
    """OrderedDicts as dicts, recursively, so comparisons ignore key order."""
    if isinstance(v, dict):
        return dict([(k, plain(x)) for k, x in v.items()])
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def code_of(fn):
    try:
        fn()
    except errors.PicolinkError as e:
        return e.code, e.msg
    return None, None


class Vectors(unittest.TestCase):
    def check_cases(self, name, run):
        doc = load(name)
        self.assertTrue(len(doc['description']) > 0)
        failures = []
        names = set()
        for case in doc['cases']:
            self.assertFalse(case['name'] in names, case['name'])
            names.add(case['name'])
            try:
                problem = run(case)
            except Exception as e:
                problem = 'raised %s: %s' % (type(e).__name__, e)
            if problem:
                failures.append('%s: %s' % (case['name'], problem))
        self.assertEqual(failures, [])
        return doc

    def test_framing(self):
        import binascii

        def run(c):
            d = framing.LineDecoder(c['max_frame_bytes'])
            for i, chunk in enumerate(c['chunks']):
                data = chunk['text'].encode() if 'text' in chunk else binascii.unhexlify(chunk['hex'])
                got = []
                for item in d.push(data):
                    if isinstance(item, errors.PicolinkError):
                        got.append({'error': item.code})
                    else:
                        got.append({'line': item.decode()})
                if got != plain(c['outputs'][i]):
                    return 'chunk %d: got %r' % (i, got)
            if len(d.buf) != c['buffered_bytes']:
                return 'buffered %d' % len(d.buf)
        self.check_cases('framing.json', run)

    def test_frames(self):
        def run(c):
            if 'line' in c:
                line = c['line'].encode()
            else:
                line = ''.join([text * times for text, times in c['line_parts']]).encode()
            if 'error' in c:
                code, _ = code_of(lambda: proto.parse_frame(line))
                return None if code == c['error'] else 'got %r' % code
            frame = proto.parse_frame(line)
            if ('frame' in c or 'line' in c) and plain(frame) != plain(c['frame']):
                return 'frame %r' % plain(frame)
            if proto.message_kind(frame) != c['kind']:
                return 'kind %r' % proto.message_kind(frame)
        self.check_cases('frames.json', run)

    def test_requests(self):
        def run(c):
            request = c['request']
            if 'error' in c:
                code, msg = code_of(lambda: proto.validate(request))
                if code != c['error']['code']:
                    return 'code %r (%s)' % (code, msg)
                if 'message' in c['error'] and msg != c['error']['message']:
                    return 'message %r' % msg
                return None
            action, fields = proto.validate(request)
            got = {'action': action, 'fields': fields}
            rid = proto.read_id(request)
            if rid is not None:
                got['id'] = rid
            if plain(got) != plain(c['valid']):
                return 'got %r' % plain(got)
        self.check_cases('requests.json', run)

    def test_responses(self):
        def run(c):
            request = c['request']
            line = None if request is None else jsontext.dumps(request).encode()
            before = None if request is None else jsontext.dumps(request)
            if 'error' in c:
                err = errors.PicolinkError(c['error']['code'], c['error']['message'])
                out = proto.failure(line, request, err)
            else:
                out = proto.success(line, request, list(c['results'].items()), c['time_received'])
            if not out.endswith(b'\n') or out.count(b'\n') != 1:
                return 'not one frame: %r' % out
            got = jsontext.loads(out[:-1])
            if plain(got) != plain(c['response']):
                return 'got %r' % plain(got)
            if request is not None and jsontext.dumps(request) != before:
                return 'the request was changed'
        doc = self.check_cases('responses.json', run)
        for code, name in doc['exceptions'].items():
            self.assertEqual(fault.exception_name(code), name)

    def test_telemetry(self):
        def mac_for(hex_key):
            return datagram.MacKey(config.key_bytes(hex_key))

        def encode(c, m, mac):
            if c['kind'] == 'ack':
                return receive.encode_ack(m['device'], m['boot'], m['ack'], mac)
            return datagram.encode(m['device'], m['boot'], m['seq'], m['t'], datagram.readings(list(m['readings'].items())),
                                   m.get('time'), m.get('ack'), mac)

        def run(c):
            key = c.get('key_hex')
            if 'message' in c:
                text = encode(c, c['message'], mac_for(key) if key else None)
                if text != c['text'].encode():
                    return 'encoded %r' % text
            if 'unsigned_text' in c:
                if encode(c, c['message'], None) != c['unsigned_text'].encode():
                    return 'unsigned text differs'
                if mac_for(key).hex(c['unsigned_text'].encode()) != c['mac']:
                    return 'mac differs'
            macs = dict([(d, mac_for(k)) for d, k in c['receiver_keys'].items()])
            parse = receive.parse_ack if c['kind'] == 'ack' else receive.parse
            text = c['text'].encode()
            if 'error' in c:
                code, msg = code_of(lambda: parse(text, macs))
                return None if code == c['error'] else 'code %r (%s)' % (code, msg)
            message, auth = parse(text, macs)
            got = {'message': message, 'authenticated': auth}
            if plain(got) != plain(c['parsed']):
                return 'got %r' % plain(got)
        self.check_cases('telemetry.json', run)

    def test_hello(self):
        # The device's side of dial-home: its hello, reading the welcome, the reconnect
        # wait. Checking a hello and writing the welcome are the hub's side.
        def run(c):
            if 'hello' in c and 'valid' in c:
                v = c['valid']
                got = jsontext.loads(home.hello(v['device'], v.get('token'), v['capabilities'], v['boot'], v['firmware'])[:-1])
                want = dict(plain(v))
                want['action'] = 'hello'
                got.pop('id')
                want.pop('id', None)
                return None if plain(got) == want else 'hello %r' % plain(got)
            if 'read_welcome' in c:
                w = c['read_welcome']
                if 'error' in w:
                    code, msg = code_of(lambda: home.read_welcome(w['response']))
                    return None if code == w['error'] else 'code %r (%s)' % (code, msg)
                t, hb, config = home.read_welcome(w['response'])
                got = {'server_time': t, 'heartbeat_ms': hb, 'config': plain(config)}
                return None if got == plain(w['welcome']) else 'welcome %r' % got
            if 'reconnect' in c:
                r = c['reconnect']
                got = home.delay_ms(r['attempt'], r['random'])
                return None if got == r['delay_ms'] else 'delay %r' % got
        self.check_cases('hello.json', run)

    def test_the_agent_knows_every_error_code(self):
        codes = load('responses.json')['exceptions']
        self.assertEqual(sorted(['PL_ERR_' + c for c in home.CODES]), sorted(codes))

    def test_every_action_has_a_valid_request_case(self):
        covered = set()
        for c in load('requests.json')['cases']:
            if 'valid' in c:
                covered.add(c['valid']['action'])
        names = [line.split(' ', 1)[0] for line in proto.ACTIONS.split('\n')]
        self.assertEqual([a for a in names if a not in covered], [])


class Codec(unittest.TestCase):
    def test_numbers_are_written_as_javascript_writes_them(self):
        # Values a single-precision float holds exactly and prints in full, so each case
        # checks the formatting on a Pico too: integral, fraction, exponent both ways,
        # and small exponents written out as JavaScript does.
        cases = [(2.0, '2'), (-0.0, '0'), (0.5, '0.5'), (1e21, '1e+21'), (2.5e21, '2.5e+21'), (1e-7, '1e-7'),
                 (-1e-7, '-1e-7'), (0.00001, '0.00001'), (1.5e-6, '0.0000015'), (3e-5, '0.00003'), (-3.25, '-3.25'),
                 (65535.75, '65535.75'), (0.1, '0.1'), (10, '10')]
        if not SINGLE:
            # Past single precision's digits: a Pico holds 123456789.25 as 123456792.
            cases += [(123456789.25, '123456789.25'), (1048575.25, '1048575.25'), (123456.789, '123456.789')]
        for n, text in cases:
            self.assertEqual(jsontext.num(n), text, n)

    def test_strings_are_quoted_as_json_stringify_does(self):
        self.assertEqual(jsontext.quote('a"b\\c\n\x01\u00e9'), '"a\\"b\\\\c\\n\\u0001\u00e9"')

    def test_integral_decimals_stay_exact_integers(self):
        # 62500001.0 as a single-precision float would be 62500000: parsed from its digits
        # it stays out of range on every port.
        frame = proto.parse_frame(b'{"action":"set_pwm","pin":2,"freq":62500001.0,"duty":0.5}')
        code, _ = code_of(lambda: proto.validate(frame))
        self.assertEqual(code, 'PL_ERR_OUT_OF_RANGE')
        self.assertEqual(jsontext.loads(b'[9007199254740993, 1.000, -0.0]'), [9007199254740993, 1, 0])

    def test_lenient_json_that_micropython_json_accepts_is_refused(self):
        for text in (b'{"a" 1}', b'{"a":1 "b":2}', b'{,}', b'[1 2]', b'{"a":01}', b'{"a":1,}', b'"\\x41"', b'{"a":.5}'):
            code, _ = code_of(lambda: jsontext.loads(text))
            self.assertEqual(code, 'PL_ERR_BAD_JSON', text)

    def test_surrogate_pair_escapes_make_one_character(self):
        self.assertEqual(jsontext.loads(b'"\\ud83d\\ude00"'), '\U0001f600')

    def test_deep_nesting_is_refused_not_a_crash(self):
        code, _ = code_of(lambda: jsontext.loads(b'[' * 5000))
        self.assertEqual(code, 'PL_ERR_BAD_JSON')

    def test_a_peer_frame_past_the_shape_limits_is_refused_before_parsing(self):
        deep = b'{"action":"ping","x":' + b'[' * 4200 + b']' * 4200 + b'}'
        code, msg = code_of(lambda: proto.parse_frame(deep))
        self.assertEqual((code, msg), ('PL_ERR_JSON_TOO_COMPLEX', 'the JSON nests deeper than 32 levels; send flat requests (docs/protocol.md#framing)'))
        wide = b'{"action":"ping","x":[' + b'0,' * 5000 + b'0]}'
        code, msg = code_of(lambda: proto.parse_frame(wide))
        self.assertEqual((code, msg), ('PL_ERR_JSON_TOO_COMPLEX', 'the JSON holds more than 4096 values; send flat requests (docs/protocol.md#framing)'))
        # Its error response echoes nothing, so nothing deep is ever written back.
        self.assertEqual(proto.failure(None, None, errors.PicolinkError(code, msg))[:10], b'{"ok":fals')
        # An ack from a hub goes through the same check.
        self.assertIsNone(datagram.take_ack(b'{"v":1,"device":"d","boot":1,"ack":' + b'[' * 2000 + b']' * 2000 + b'}', 'd', 1, None))

    def test_splicing_keeps_the_request_bytes(self):
        line = b'{"action":"write_pin","pin":"2","value":"1","timeout":0.1,"time_sent":1700000000000000001}'
        frame = proto.parse_frame(line)
        out = proto.success(line, frame, [('previous', 0)], 5)
        self.assertEqual(out, line[:-1] + b',"ok":true,"time_received":5,"previous":0}\n')

    def test_the_device_takes_only_valid_acks_for_its_device_and_boot(self):
        key = datagram.MacKey(b'k' * 32)
        good = receive.encode_ack('pico-1', 7, 42, key)
        self.assertEqual(datagram.take_ack(good, 'pico-1', 7, key), 42)
        self.assertEqual(datagram.take_ack(receive.encode_ack('pico-1', 7, 42), 'pico-1', 7, None), 42)
        for ack in (receive.encode_ack('pico-1', 7, 42), receive.encode_ack('pico-1', 7, 42, datagram.MacKey(b'other')),
                    receive.encode_ack('pico-1', 8, 42, key), receive.encode_ack('pico-2', 7, 42, key),
                    good.replace(b'"ack":42', b'"ack":43'), good.replace(b'"v":1', b'"v":true'),
                    b'{"v":1,"device":"pico-1","boot":7,"ack":42,"seq":1}', b'not json', b'[1]'):
            self.assertEqual(datagram.take_ack(ack, 'pico-1', 7, key), None, ack)

    def test_a_result_replacing_an_echoed_field_rebuilds_the_frame(self):
        line = b'{"action":"setup_pin","pin":2,"mode":"output","value":"1"}'
        out = proto.success(line, proto.parse_frame(line), [('value', 1)], 5)
        self.assertEqual(out, b'{"action":"setup_pin","pin":2,"mode":"output","value":1,"ok":true,"time_received":5}\n')



class HubList(unittest.TestCase):
    def test_hub_is_one_address_or_a_list_dialled_in_order(self):
        self.assertEqual(config.hubs({'hub': 'hub.local'}), [('hub.local', 12400)])
        self.assertEqual(config.hubs({'hub': ['10.0.0.2:4000', 'hub.local', '[fd00::1]:12401', '[fd00::2]']}),
                         [('10.0.0.2', 4000), ('hub.local', 12400), ('fd00::1', 12401), ('fd00::2', 12400)])

    def test_a_malformed_hub_is_a_config_error_naming_it(self):
        for hub, shown in (('hub.local:', '"hub.local:"'), ('hub.local:70000', '"hub.local:70000"'), ('fd00::1', '"fd00::1"'),
                           (['a', ''], '""'), (['a', 12400], '12400'), ({'host': 'a'}, 'an object')):
            try:
                config.hubs({'hub': hub})
            except errors.PicolinkError as e:
                self.assertEqual(e.code, 'PL_ERR_CONFIG')
                self.assertEqual(e.msg, 'config.json: "hub" must be "HOST[:PORT]" or a list of them, got ' + shown)
            else:
                self.fail('accepted %r' % (hub,))


class LogWords(unittest.TestCase):
    def test_failed_connections_read_as_words_not_internal_errors(self):
        cases = [
            (OSError(111), False, 'connection refused'),
            (OSError(104), False, 'connection reset by the peer'),
            # mbedtls codes: with the port's error strings (unix) and without them (rp2).
            (OSError(-30464, 'MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE'), True, 'TLS handshake failed (the peer does not speak TLS)'),
            (OSError(-30592), True, 'TLS handshake failed (the peer sent a TLS alert; it may not trust this certificate)'),
            (OSError(-0x7A00, 'MBEDTLS_ERR_SSL_BAD_CERTIFICATE'), False, 'TLS error (MBEDTLS_ERR_SSL_BAD_CERTIFICATE)'),
            (OSError(-0x7A00), True, 'TLS handshake failed (mbedtls error -0x7a00)'),
            (OSError('[addrinfo error -2]'), False, 'host name not found'),
            (OSError(-2), False, 'host name not found'),
            (asyncio.TimeoutError(), False, 'timed out'),
            (OSError(9999), False, 'internal error: OSError: 9999'),
            (ValueError('x'), False, 'internal error: ValueError: x'),
            (errors.PicolinkError('PL_ERR_BUSY', 'busy'), False, 'busy'),
        ]
        for e, handshake, words in cases:
            self.assertEqual(neterr.reason(e, handshake), words)


if __name__ == '__main__':
    unittest.main()
