# Start-up: config.json read through config.py, then the agent composed from it (device
# state, listener, WiFi, status LED, watchdog, telemetry, dial-home). app.main() runs it
# once and lets it go, with config.py, so code that runs once keeps no heap; the Device's
# timeout checks (idle_check) then run in app.main()'s own task.
import asyncio
import sys
import time

import machine

from picolink import board, config
from picolink.app import Device, keep_wifi, log, watchdog
from picolink.pins import Pins
from picolink.errors import PicolinkError
from picolink.rt import Flag, release, sleep_ms


async def run(raw_config, net, on_started):
    """Starts the agent; returns its Device once connections are accepted and WiFi is up."""
    cfg = config.load(raw_config)
    if net is None:
        from picolink import net
    wlan = None
    if cfg['ssid']:
        import network
        wlan = network.WLAN(network.STA_IF)
    dev = Device()
    dev.cfg = cfg
    dev.device_id = cfg['device_id']
    dev.boot = config.boot_id()
    dev.last_update = None
    dev.wlan = wlan
    dev.board_name = cfg.get('board') or getattr(sys.implementation, '_machine', None) or sys.platform
    dev.flag = Flag()
    dev.hw = board.Board(dev.flag)
    dev.pins = Pins(dev.hw, dev.board_name)
    dev.sessions = []
    dev.wifi_up = wlan is None
    dev._ticks = time.ticks_ms()
    dev._uptime = 0
    if cfg['watchdog_ms']:
        asyncio.create_task(watchdog(cfg['watchdog_ms']))
    if cfg['status_led']:
        from picolink import led
        asyncio.create_task(led.run(machine.Pin('LED', machine.Pin.OUT), dev.led_state))
    if cfg['telemetry']:
        dev.telemetry = telemetry(dev, cfg['telemetry'], net)
    ctx = config.tls_context(cfg)
    dev.secure = ctx is not None
    hub = config.hub_link(cfg) + (config.hubs(cfg),) if cfg['hub'] else None
    _, port = await net.start_server(dev.on_client, cfg['host'], cfg['port'], ctx)
    log('listening on %s:%d (%s, device %s)' % (cfg['host'], port, 'TLS' if dev.secure else 'TCP', dev.device_id))
    if on_started is not None:
        on_started()
    dev.last_update = config.last_update()
    asyncio.create_task(dev.inputs())
    if wlan is not None:
        asyncio.create_task(keep_wifi(dev))
        while not dev.wifi_up:
            await sleep_ms(100)
    if dev.telemetry is not None:
        if dev.telemetry._sock is not None:
            asyncio.create_task(dev.telemetry._sock.run())  # the MQTT link
        asyncio.create_task(dev.telemetry.run())
    if hub is not None:
        from picolink import home
        asyncio.create_task(home.run(dev, net, hub[0], hub[1], hub[2]))
    release('config')
    return dev


def telemetry(dev, cfg, net):
    """The telemetry sender for config.json's "telemetry" (docs/protocol.md#telemetry)."""
    from picolink import board, datagram
    from picolink.telemetry import Telemetry
    mqtt = cfg.get('mqtt')
    target = cfg.get('target') if mqtt is None else ':0'
    colon = target.rfind(':')
    interval = cfg.get('interval_ms', 5000)
    key = cfg.get('key')
    # Sensors: temp_c (°C), adc0-adc3 (volts), pinN / pinLED (level while set up).
    sensors = []
    for name in cfg.get('sensors') or ['temp_c']:
        n = name[3:]
        if name == 'temp_c':
            arg = 4
        elif name[:3] == 'adc' and n in ('0', '1', '2', '3'):
            arg = int(n)
        elif name[:3] == 'pin' and (n == 'LED' or (0 < len(n) <= 2 and n.isdigit())):
            arg = 'LED' if n == 'LED' else int(n)
            if arg != board.LED and arg not in board.GPIO:
                raise PicolinkError('PL_ERR_NO_SUCH_PIN', 'telemetry sensor "%s": pin %s does not exist on this board' % (name, arg))
        else:
            raise PicolinkError('PL_ERR_OUT_OF_RANGE', 'unknown telemetry sensor "%s"; use temp_c, adc0-adc3 or pinN (e.g. pin2)' % name)
        sensors.append((name, arg))
    t = Telemetry(dev, net, target[:colon], int(target[colon + 1:]), sensors, interval,
                  datagram.MacKey(config.key_bytes(key)) if key else None,
                  bool(cfg.get('ack')) and mqtt is None, cfg.get('max_unacked', 8), cfg.get('resend_ms', interval))
    if mqtt is not None:
        # The publisher stands in for the UDP socket (send, recv); no acks come back over
        # MQTT, so nothing is kept for resending.
        from picolink.mqttpub import Publisher
        t._sock = Publisher(dev, net, mqtt)
    return t
