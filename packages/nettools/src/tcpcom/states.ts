/**
 * The states of the tcpcom library's event-driven API, with the same names, so a
 * program written against tcpcom's `stateChanged(state, msg)` reads the same here.
 */

export const TcpServerState = {
  /** Listening for a client. `msg`: the port. Again after a client left in one-client mode. */
  LISTENING: 'LISTENING',
  /** A client connected. `msg`: its IP address. */
  CONNECTED: 'CONNECTED',
  /** A client sent a message. `msg`: the message, without its delimiter. */
  MESSAGE: 'MESSAGE',
  /** A client's connection ended. `msg`: its IP address. */
  DISCONNECTED: 'DISCONNECTED',
  /** The port is taken by another program; the server is not running. `msg`: the port. */
  PORT_IN_USE: 'PORT_IN_USE',
  /** The server stopped (terminate(), or it could not listen for another reason). `msg`: "" or the reason. */
  TERMINATED: 'TERMINATED',
} as const;

export type TcpServerStateValue = (typeof TcpServerState)[keyof typeof TcpServerState];

export const TcpClientState = {
  /** connect() started. `msg`: "host:port". */
  CONNECTING: 'CONNECTING',
  /** The server accepted and did not turn us away. `msg`: "host:port". */
  CONNECTED: 'CONNECTED',
  /** The server sent a message. `msg`: the message, without its delimiter. */
  MESSAGE: 'MESSAGE',
  /** The connection ended. `msg`: "" (the error, if any, is the third argument). */
  DISCONNECTED: 'DISCONNECTED',
  /** No connection could be opened. `msg`: "host:port". */
  CONNECTION_FAILED: 'CONNECTION_FAILED',
  /** The server closed the connection at once: it serves another client. `msg`: "host:port". */
  SERVER_OCCUPIED: 'SERVER_OCCUPIED',
} as const;

export type TcpClientStateValue = (typeof TcpClientState)[keyof typeof TcpClientState];
