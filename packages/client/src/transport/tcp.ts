/** The `tcp://` transport: a plain TCP socket with a connect timeout. */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { DeviceUrl } from '../url.js';
import { connectFailed, connectTimedOut } from './connect-error.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './transport.js';
import type { TransportOptions } from './transport.js';

export function openTcp(url: DeviceUrl, options: TransportOptions): Promise<Socket> {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.host, port: url.port });
    const timer = setTimeout(socketOnConnectTimeout, timeoutMs);

    function finish(): void {
      clearTimeout(timer);
      socket.off('connect', socketOnConnect);
      socket.off('error', socketOnError);
    }
    function socketOnConnect(): void {
      finish();
      // Requests are small and latency matters more than packet count.
      socket.setNoDelay(true);
      resolve(socket);
    }
    function socketOnError(err: Error): void {
      finish();
      socket.destroy();
      reject(connectFailed(url.hostPort, err));
    }
    function socketOnConnectTimeout(): void {
      finish();
      socket.destroy();
      reject(connectTimedOut(url.hostPort, timeoutMs));
    }

    socket.once('connect', socketOnConnect);
    socket.once('error', socketOnError);
  });
}
