# The actions (docs/protocol.md#actions): run(device, action, fields, connection) -> the
# result fields as ordered (name, value) pairs; `update` returns a coroutine instead.
# One function rather than one per action: on a board each function costs heap.
import math

from picolink import proto
from picolink.rt import use

VERSION = '0.1.0'


def round_js(n, digits):
    """JavaScript's Math.round(n * 10**digits) / 10**digits, as the TypeScript device rounds."""
    scale = 10 ** digits
    return math.floor(n * scale + 0.5) / scale


def celsius(volts):
    """The RP2040 datasheet's conversion of the internal sensor's voltage to °C."""
    return 27 - (volts - 0.706) / 0.001721


def capabilities(conn):
    return list(proto.CAPABILITIES) + (['tls'] if conn.secure else [])


def run(dev, action, f, conn):
    pins = dev.pins
    if action == 'ping':
        return []
    if action == 'get_version':
        return [('version', VERSION), ('protocol', 1), ('capabilities', capabilities(conn))]
    if action == 'get_info' or action == 'get_resource_info' or action == 'list_actions':
        # Asked now and then (once per connection, say): info.py, loaded for the moment.
        return use('info', 'run', dev, action, conn)
    if action == 'setup_pin':
        # An input has no level of its own to set; piconetcontrol clients may still send one.
        value = f.get('value') if f['mode'] == 'output' else None
        return [('value', pins.setup(f['pin'], f['mode'], f['pull'], value, f.get('safe'), conn.id,
                                       f.get('safe_after_ms') or 0))]
    if action == 'write_pin':
        t = f['timeout']
        # A positive timeout is a lease even when it is below a millisecond.
        ms = max(1, int(math.floor(t * 1000 + 0.5))) if t > 0 else 0
        previous, reverts_to = pins.write(f['pin'], f['value'], ms, conn.id)
        return [('previous', previous)] + ([('reverts_to', reverts_to), ('lease_ms', ms)] if ms else [])
    if action == 'read_pin':
        return [('value', pins.read(f['pin']))]
    if action == 'set_pwm':
        # Only some setups use PWM: pwm.py, loaded for the moment.
        return [('duty_u16', use('pwm', 'set_pwm', pins, f['pin'], f['freq'], f['duty']))]
    if action == 'read_adc':
        value = dev.hw.read_adc(f['channel'])
        volts = value * 3.3 / 65535
        out = [('value', value), ('volts', round_js(volts, 5))]
        if f['channel'] == 4:
            out.append(('temperature_c', round_js(celsius(volts), 2)))
        return out
    if action == 'watch_pin':
        return [('value', pins.watch(f['pin'], conn, f['edge'], f['debounce_ms']))]
    if action == 'unwatch_pin':
        pins.unwatch(f['pin'], conn)
        return [('watching', False)]
    # Reset, sleep and update are rare: their code (power.py) is loaded only for them.
    from picolink import power
    if action == 'reset':
        return [('delay_ms', power.schedule(dev, 'restart', 'reset'))]
    if action == 'sleep':
        return [('delay_ms', power.schedule(dev, 'deep' if f['deep'] else 'light', f['time_ms']))]
    return power.update(dev, f)
