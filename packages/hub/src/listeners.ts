/**
 * Opening the hub's own listeners (HTTP, the dial-home gateway, the telemetry socket)
 * with @picolink/net, so a refusal reads as every picolink program's does — coded
 * PL_ERR_LISTEN_FAILED naming the address and what to do — and here also names the
 * configuration key that chose the address, so a person knows which setting to change.
 * The certificate files a listener serves with are read here too, a missing one being
 * PL_ERR_CONFIG naming its key.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { bindUdp, listenOn } from '@picolink/net';
import { ErrorCode, PicolinkError, toPicolinkError } from '@picolink/protocol';

/** Starts `server` listening on `host`:`port`, which the configuration's `configKey` chose. */
export function listenConfigured<S extends Server>(server: S, host: string, port: number, configKey: string): Promise<S> {
  return naming(configKey, listenOn(server, host, port));
}

/** A UDP socket bound to `host`:`port`, which the configuration's `configKey` chose. */
export function bindConfiguredUdp(host: string, port: number, configKey: string): Promise<UdpSocket> {
  return naming(configKey, bindUdp(host, port));
}

/** Reads a file the configuration names at `configKey` (a certificate or its key). */
export async function readConfiguredFile(file: string, configKey: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new PicolinkError(ErrorCode.CONFIG, `hub configuration: cannot read "${configKey}" ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

async function naming<T>(configKey: string, opening: Promise<T>): Promise<T> {
  try {
    return await opening;
  } catch (err) {
    const coded = toPicolinkError(err);
    throw new PicolinkError(coded.code, `${coded.message} (the hub's "${configKey}")`, { cause: err });
  }
}
