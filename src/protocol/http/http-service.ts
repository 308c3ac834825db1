/**
 * HTTP on secure streams: each stream whose handshake completed is handed to Node's own HTTP
 * servers, by the protocol ALPN chose: `h2` to node:http2, anything else (http/1.1, no ALPN) to
 * node:http, both through one Http2Server with `allowHTTP1`, so one handler serves both with Node's
 * request/response API (docs/architecture.md, HTTP over rxtls). The streams may run over any
 * transport: TCP, the fused path, another TLS stream. Node's servers do the HTTP: a malformed
 * HTTP/1.1 request is answered `400 Bad Request`, a bad HTTP/2 frame with GOAWAY, and the
 * connection then ends with close_notify (toNodeDuplex keeps what was written and closes TLS
 * properly).
 */
import http2 from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SSLSocket } from '../../transport/stream/ssl-socket.js';
import { type SecureDuplex, toNodeDuplex } from '../node-duplex.js';

/** A request of either protocol: node:http's on HTTP/1.1, node:http2's compatibility one on h2. */
export type HttpRequest = IncomingMessage | http2.Http2ServerRequest;
/** The response to a {@link HttpRequest}. */
export type HttpResponse = ServerResponse | http2.Http2ServerResponse;
/** One handler for both protocols (as http2's `allowHTTP1`). */
export type HttpHandler = (request: HttpRequest, response: HttpResponse) => void;

/** Options of {@link HttpService}. */
export interface HttpServiceOptions {
  /**
   * Node's http2 server options (settings, maxSessionMemory, ...); `allowHTTP1` is rxtls's:
   * HTTP/1.1 is served unless `http1` is false.
   */
  http2?: Omit<http2.ServerOptions, 'allowHTTP1'>;
  /** Serve HTTP/1.1 (and clients that negotiate no ALPN); default true. */
  http1?: boolean;
}

/** Node's HTTP servers fed with secure streams. */
export class HttpService {
  readonly #server: http2.Http2Server;
  /** Which secure stream carries an HTTP/1.1 socket or an h2 session. */
  readonly #streams = new WeakMap<object, SSLSocket<unknown>>();
  /** The stream being handed over (Node announces its h2 session inside that call). */
  #arriving: SSLSocket<unknown> | undefined;

  constructor(handler: HttpHandler, options: HttpServiceOptions = {}) {
    // node:http2 reads allowHTTP1 on any server (its connection listener falls back to HTTP/1.1
    // for a socket whose alpnProtocol is false or http/1.1); its typings only allow it on secure
    // servers, which would do TLS themselves.
    const serverOptions = { ...options.http2, allowHTTP1: options.http1 ?? true };
    this.#server = http2.createServer(
      serverOptions as http2.ServerOptions,
      handler as (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => void,
    );
    // A client of a protocol this service does not speak: as Node's own servers, end it.
    this.#server.on('unknownProtocol', (socket: SecureDuplex) => socket.destroy());
    // Errors of a session or of an HTTP/1.1 socket end that connection only (Node's servers
    // have answered it already: 400, GOAWAY).
    this.#server.on('sessionError', () => undefined);
    this.#server.on('session', (session: http2.ServerHttp2Session) => {
      if (this.#arriving) this.#streams.set(session, this.#arriving);
    });
  }

  /** The Node server behind: its 'upgrade' (WebSocket), 'session' and 'request' events. */
  get server(): http2.Http2Server {
    return this.#server;
  }

  /**
   * Serves HTTP on `socket` once its handshake completes (a failed handshake just ends it).
   * Use as createServer's onSocket.
   */
  accept(socket: SSLSocket<unknown>): void {
    socket.handshake().then(
      () => {
        // A throw here would be an unhandled rejection: it ends this connection only
        // (docs/architecture.md, Containment).
        try {
          this.serve(socket);
        } catch (error) {
          socket.destroy(error instanceof Error ? error : new Error(String(error)));
        }
      },
      () => undefined,
    );
  }

  /** Serves HTTP on `socket`, whose handshake has completed; answers its Duplex. */
  serve(socket: SSLSocket<unknown>): SecureDuplex {
    const duplex = toNodeDuplex(socket);
    // Node's servers find their server here (a tls.Server sets it on its sockets).
    Object.assign(duplex, { server: this.#server });
    this.#streams.set(duplex, socket);
    this.#arriving = socket;
    try {
      this.#server.emit('connection', duplex);
    } finally {
      this.#arriving = undefined;
    }
    return duplex;
  }

  /** The secure stream a request came on (its TLS session, certificate, ALPN). */
  streamOf(request: HttpRequest): SSLSocket<unknown> | undefined {
    if (request instanceof http2.Http2ServerRequest) {
      return this.#streams.get(request.stream.session as object);
    }
    return this.#streams.get(request.socket);
  }
}
