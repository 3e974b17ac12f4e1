/**
 * Who may dial home (docs/protocol.md#welcome): a device listed in the configuration or
 * added through the API (credentials.ts), with its token when it has one; an unlisted id
 * only when `gateway.acceptUnknownDevices` is on. Tokens are compared in constant time.
 * The credentials are read at each hello, so a device added, rotated or removed is
 * admitted or refused from its next hello on.
 */
import { ErrorCode, PicolinkError } from '@picolink/protocol';
import type { Hello } from '@picolink/protocol';
import type { HubConfig } from '../config.js';
import { DeviceCredentials } from '../credentials.js';
import type { KnownDevice } from '../credentials.js';

export class HelloAdmission {
  private readonly acceptUnknown: boolean;

  /** `credentials`: default, the configuration's devices alone. */
  constructor(
    config: HubConfig,
    private readonly credentials: DeviceCredentials = DeviceCredentials.fromConfig(config.devices),
  ) {
    this.acceptUnknown = config.gateway.acceptUnknownDevices;
  }

  /**
   * The configured device for a hello, or undefined for an accepted unknown id. Throws
   * PL_ERR_UNKNOWN_DEVICE or PL_ERR_UNAUTHORIZED.
   */
  admit(hello: Hello): KnownDevice | undefined {
    const device = this.credentials.get(hello.device);
    if (!device) {
      if (this.acceptUnknown) return undefined;
      throw new PicolinkError(
        ErrorCode.UNKNOWN_DEVICE,
        `the hub does not know device "${hello.device}"; add it to the hub configuration ("devices"), or turn on "gateway.acceptUnknownDevices"`,
      );
    }
    if (!this.credentials.tokenMatches(device, hello.token)) {
      throw new PicolinkError(
        ErrorCode.UNAUTHORIZED,
        `${hello.token === undefined ? 'no token' : 'wrong token'} for device "${hello.device}"; give the device the token set for it in the hub configuration (or shown when it was added or its token rotated)`,
      );
    }
    return device;
  }
}
