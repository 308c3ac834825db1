/**
 * `createHttpsServer`: an HTTPS server on rxtls, serving h2 and http/1.1 by ALPN with one
 * handler (HttpService in src/protocol/http), over rxtls's TCP (native or net).
 */
import type { SSLContext } from '../context/ssl-context.js';
import {
  type HttpHandler,
  HttpService,
  type HttpServiceOptions,
} from '../protocol/http/http-service.js';
import type { TransportAddress } from '../transport/transport.js';
import { createServer, type Server, type ServerOptions, type ServerStats } from './server.js';

/** Options of {@link createHttpsServer}: the TLS server's and the HTTP service's. */
export interface HttpsServerOptions extends Omit<ServerOptions, 'protocol'>, HttpServiceOptions {}

/** A running HTTPS server: the TLS server and the HTTP service it feeds. */
export class HttpsServer {
  readonly #server: Server;
  readonly #service: HttpService;

  constructor(options: HttpsServerOptions, handler: HttpHandler) {
    const { http1, http2, ...tls } = options;
    this.#service = new HttpService(handler, {
      ...(http1 === undefined ? {} : { http1 }),
      ...(http2 === undefined ? {} : { http2 }),
    });
    this.#server = createServer(tls, (socket) => this.#service.accept(socket));
    offerHttpProtocols(this.#server.context, http1 ?? true);
  }

  /** The TLS server (its connections, stats and context). */
  get tls(): Server {
    return this.#server;
  }

  /** The HTTP service: its Node server's 'upgrade' event is where WebSocket servers listen. */
  get http(): HttpService {
    return this.#service;
  }

  listen(port = 0, host = '127.0.0.1'): Promise<TransportAddress> {
    return this.#server.listen(port, host);
  }

  address(): TransportAddress | null {
    return this.#server.address();
  }

  stats(): ServerStats {
    return this.#server.stats();
  }

  /** Stops accepting, closes every connection with close_notify (see Server.close). */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#service.server.close();
    return this.#server.close(options);
  }
}

/**
 * A context that offers no ALPN protocols gets h2 and http/1.1 (http/1.1 first would make clients
 * that offer both choose it), so that h2 can be negotiated at all.
 */
function offerHttpProtocols(context: SSLContext, http1: boolean): void {
  if (context.engineConfig().alpnProtocols !== undefined) return;
  context.setAlpnProtocols(http1 ? ['h2', 'http/1.1'] : ['h2']);
}

/**
 * An HTTPS server: h2 and http/1.1 by ALPN, one handler with Node's request/response API. A
 * context without ALPN protocols is given `h2` and `http/1.1`.
 *
 * @example
 * ```ts
 * const server = createHttpsServer({ context }, (request, response) => {
 *   response.setHeader('content-type', 'text/plain');
 *   response.end(`hello over HTTP/${request.httpVersion}\n`);
 * });
 * await server.listen(8443);
 * ```
 */
export function createHttpsServer(options: HttpsServerOptions, handler: HttpHandler): HttpsServer {
  return new HttpsServer(options, handler);
}
