/**
 * Who may dial home (docs/protocol.md#welcome): a device listed in the configuration,
 * with its token when it has one; an unlisted id only when `gateway.acceptUnknownDevices`
 * is on. Tokens are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { Hello } from '@picolink/protocol';
import type { ConfiguredDevice, HubConfig } from '../config.js';

export class HelloAdmission {
  private readonly devices: ReadonlyMap<string, ConfiguredDevice>;
  private readonly tokenDigests: ReadonlyMap<string, Buffer>;
  private readonly acceptUnknown: boolean;

  constructor(config: HubConfig) {
    this.devices = new Map(config.devices.map((device) => [device.id, device]));
    this.tokenDigests = new Map(config.devices.flatMap((device) => (device.token === undefined ? [] : [[device.id, digest(device.token)] as const])));
    this.acceptUnknown = config.gateway.acceptUnknownDevices;
  }

  /**
   * The configured device for a hello, or undefined for an accepted unknown id. Throws
   * PL_ERR_UNKNOWN_DEVICE or PL_ERR_UNAUTHORIZED.
   */
  admit(hello: Hello): ConfiguredDevice | undefined {
    const device = this.devices.get(hello.device);
    if (!device) {
      if (this.acceptUnknown) return undefined;
      throw new PicolinkError(
        ErrorCode.UNKNOWN_DEVICE,
        `the hub does not know device "${hello.device}"; add it to the hub configuration ("devices"), or turn on "gateway.acceptUnknownDevices"`,
      );
    }
    const expected = this.tokenDigests.get(device.id);
    if (expected === undefined) return device;
    if (hello.token === undefined || !timingSafeEqual(digest(hello.token), expected)) {
      throw new PicolinkError(
        ErrorCode.UNAUTHORIZED,
        `${hello.token === undefined ? 'no token' : 'wrong token'} for device "${hello.device}"; give the device the token set for it in the hub configuration`,
      );
    }
    return device;
  }
}

/** Equal-length values for timingSafeEqual, whatever the tokens' lengths. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
