/**
 * What a server can tell a visitor about their TLS session: version, cipher, ALPN, the server
 * name they asked for (SNI) and whether the session was resumed. SNI is not kept by the engine
 * on the server side (Python's `server_hostname` is None there), so it is recorded from the SNI
 * callback.
 */
import type { SSLContext } from '../context/ssl-context.js';
import type { SSLObject } from '../transport/sansio/ssl-object.js';
import type { SSLSocket } from '../transport/stream/ssl-socket.js';

/** A connection's negotiated parameters, as the status page and /stats.json show them. */
export interface TlsSessionInfo {
  version: string | null;
  cipher: { name: string; protocol: string; bits: number } | null;
  alpn: string | null;
  /** The server name the client sent (SNI), or null when it sent none (IP addresses). */
  serverName: string | null;
  resumed: boolean;
  /** The client certificate's subject, when the client presented one. */
  clientCertificate: string | null;
  remoteAddress: string | null;
}

/** Remembers the SNI name of every connection of a server context. */
export class ServerNames {
  readonly #names = new WeakMap<object, string | null>();

  /**
   * Installs an SNI callback on `context` that records the name, then runs the callback the
   * context had (so a user's certificate switching keeps working).
   */
  constructor(context: SSLContext) {
    const previous = context.sniCallback;
    context.sniCallback = (sslobj, name, ctx) => {
      this.#names.set(sslobj, name);
      return previous ? previous(sslobj, name, ctx) : undefined;
    };
  }

  /** The name `sslobj`'s client asked for, or null. */
  of(sslobj: SSLObject<unknown>): string | null {
    return this.#names.get(sslobj) ?? null;
  }
}

function subjectText(cert: object | null): string | null {
  const subject = (cert as { subject?: [string, string][][] } | null)?.subject;
  if (!subject || subject.length === 0) return null;
  return subject.map((rdn) => rdn.map(([key, value]) => `${key}=${value}`).join('+')).join(', ');
}

/** The session parameters of an established connection. */
export function tlsSessionInfo(socket: SSLSocket<unknown>, names?: ServerNames): TlsSessionInfo {
  const cipher = socket.cipher();
  const remote = socket.remoteAddress;
  return {
    version: socket.version(),
    cipher: cipher ? { name: cipher[0], protocol: cipher[1], bits: cipher[2] } : null,
    alpn: socket.selectedAlpnProtocol(),
    serverName: names ? names.of(socket.sslobj) : null,
    resumed: socket.sessionReused,
    clientCertificate: subjectText(socket.getpeercert()),
    remoteAddress: remote ? `${remote.address}:${remote.port}` : null,
  };
}
