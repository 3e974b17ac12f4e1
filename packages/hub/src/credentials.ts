/**
 * Who may connect, and with which secrets: the devices of the configuration file
 * (`devices`) merged with the devices added through the API (`POST /api/devices`,
 * kept in the store). Built once by startHub and handed to the gateway (hello tokens), the
 * telemetry ingest (HMAC keys) and the API (adding, rotating, removing), so that a device
 * added or rotated is admitted, or refused, at once everywhere.
 *
 * A managed device's token is stored only as its SHA-256 digest (it is 32 random bytes,
 * so a plain digest cannot be searched), and shown once when drawn; its telemetry key is
 * stored as it is, since the hub computes HMACs with it. A configuration-file entry wins
 * over a stored one with the same id.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DEVICE_ID_PATTERN, ErrorCode, PicolinkError } from '@picolink/protocol';
import type { TextSigner } from '@picolink/protocol';
import type { ConfiguredDevice } from './config.js';
import type { HubStore, ManagedDeviceRecord } from './store/store.js';
import { hmacSigner } from '@picolink/net';

/** A device the hub admits. */
export interface KnownDevice {
  id: string;
  /** SHA-256 of its hello token; undefined: no token needed. */
  tokenDigest?: Buffer;
  /** HMAC key of its telemetry; undefined: unsigned telemetry accepted. */
  telemetryKey?: string;
  /** Settings sent in the welcome (configured devices). */
  config?: Record<string, unknown>;
  /** Added through the API (else listed in the configuration file). */
  managed: boolean;
}

/** What the hub draws for a device added or rotated through the API: shown once. */
export interface IssuedCredentials {
  id: string;
  token: string;
  telemetryKey: string;
}

/** SHA-256 of a token, as stored and compared. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function fromConfig(device: ConfiguredDevice): KnownDevice {
  return {
    id: device.id,
    managed: false,
    ...(device.token === undefined ? {} : { tokenDigest: tokenDigest(device.token) }),
    ...(device.telemetryKey === undefined ? {} : { telemetryKey: device.telemetryKey }),
    ...(device.config === undefined ? {} : { config: device.config }),
  };
}

function fromRecord(record: ManagedDeviceRecord): KnownDevice {
  return { id: record.id, managed: true, tokenDigest: Buffer.from(record.tokenHash, 'hex'), telemetryKey: record.telemetryKey };
}

function draw(): { token: string; telemetryKey: string } {
  return { token: randomBytes(32).toString('base64url'), telemetryKey: randomBytes(32).toString('hex') };
}

export class DeviceCredentials {
  private readonly devices = new Map<string, KnownDevice>();
  private readonly signers = new Map<string, TextSigner>();
  /** Ids being added, rotated or removed: a second change waits for none, it is refused. */
  private readonly changing = new Set<string>();

  private constructor(
    configured: readonly ConfiguredDevice[],
    managed: readonly ManagedDeviceRecord[],
    private readonly store: HubStore | undefined,
  ) {
    for (const record of managed) this.set(fromRecord(record));
    for (const device of configured) this.set(fromConfig(device));
  }

  /** The configuration's devices only (no store: nothing can be added). */
  static fromConfig(configured: readonly ConfiguredDevice[]): DeviceCredentials {
    return new DeviceCredentials(configured, [], undefined);
  }

  /** The configuration's devices and those the store keeps. */
  static async load(configured: readonly ConfiguredDevice[], store: HubStore): Promise<DeviceCredentials> {
    return new DeviceCredentials(configured, await store.listManagedDevices(), store);
  }

  get size(): number {
    return this.devices.size;
  }

  get(id: string): KnownDevice | undefined {
    return this.devices.get(id);
  }

  has(id: string): boolean {
    return this.devices.has(id);
  }

  list(): KnownDevice[] {
    return [...this.devices.values()];
  }

  /** True when the device needs no token, or `token` is its token (constant time). */
  tokenMatches(device: KnownDevice, token: string | undefined): boolean {
    if (device.tokenDigest === undefined) return true;
    if (token === undefined) return false;
    return timingSafeEqual(tokenDigest(token), device.tokenDigest);
  }

  /** The HMAC signer of a device's telemetry, or undefined when it has no key. */
  signer(id: string): TextSigner | undefined {
    return this.signers.get(id);
  }

  /** Adds a device with a new token and telemetry key (PL_ERR_DEVICE_EXISTS when the id is taken). */
  async add(id: string): Promise<IssuedCredentials> {
    if (!DEVICE_ID_PATTERN.test(id)) throw new PicolinkError(ErrorCode.OUT_OF_RANGE, `"id" must be 1-64 of A-Z a-z 0-9 _ . - (got ${JSON.stringify(id.slice(0, 80))})`);
    if (this.devices.has(id) || this.changing.has(id)) {
      throw new PicolinkError(ErrorCode.DEVICE_EXISTS, `the hub already has a device "${id}"; pick another id, or rotate its token with POST /api/devices/${id}/token`);
    }
    return this.issue(id, (store, record) => store.addManagedDevice(record));
  }

  /** Draws a new token and telemetry key for a managed device; the old ones stop working now. */
  async rotate(id: string): Promise<IssuedCredentials> {
    this.requireManaged(id);
    return this.issue(id, (store, record) => store.updateManagedDevice(record));
  }

  /** Forgets a managed device's credentials (its stored telemetry and history stay). */
  async remove(id: string): Promise<void> {
    this.requireManaged(id);
    const store = this.requireStore();
    await this.while(id, () => store.removeManagedDevice(id));
    this.devices.delete(id);
    this.signers.delete(id);
  }

  /** Draws a token and telemetry key for `id`, stores them with `write`, and uses them from now on. */
  private async issue(id: string, write: (store: HubStore, record: ManagedDeviceRecord) => Promise<unknown>): Promise<IssuedCredentials> {
    const store = this.requireStore();
    const issued = draw();
    const record: ManagedDeviceRecord = { id, tokenHash: tokenDigest(issued.token).toString('hex'), telemetryKey: issued.telemetryKey, createdAt: Date.now() };
    await this.while(id, () => write(store, record));
    this.set(fromRecord(record));
    return { id, ...issued };
  }

  private set(device: KnownDevice): void {
    this.devices.set(device.id, device);
    if (device.telemetryKey === undefined) this.signers.delete(device.id);
    else this.signers.set(device.id, hmacSigner(device.telemetryKey));
  }

  private requireManaged(id: string): void {
    const device = this.devices.get(id);
    if (device === undefined) throw new PicolinkError(ErrorCode.UNKNOWN_DEVICE, `the hub has no device "${id}" to change; GET /api/devices lists them`);
    if (!device.managed) {
      throw new PicolinkError(ErrorCode.NOT_SUPPORTED, `device "${id}" is listed in the hub's configuration file; change or remove it there and restart the hub`);
    }
    if (this.changing.has(id)) throw new PicolinkError(ErrorCode.BUSY, `device "${id}" is being changed by another request; try again`);
  }

  private requireStore(): HubStore {
    if (this.store === undefined) throw new PicolinkError(ErrorCode.NOT_SUPPORTED, 'this hub keeps no device credentials of its own (no store); list devices in its configuration');
    return this.store;
  }

  private async while(id: string, step: () => Promise<unknown>): Promise<void> {
    this.changing.add(id);
    try {
      await step();
    } finally {
      this.changing.delete(id);
    }
  }
}
