/**
 * The `/metrics` endpoint Prometheus scrapes: a plain node:http server (metrics are read by a
 * scraper on a private address, not by the server's TLS clients) answering a {@link MetricsSource}
 * (docs/architecture.md, "Diagnostics and metrics").
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TransportAddress } from '../../transport/transport.js';
import type { MetricsSource } from './server-metrics.js';

/** The path the metrics are served at. */
export const METRICS_PATH = '/metrics';

/** A listening metrics endpoint. */
export class MetricsEndpoint {
  readonly #server: http.Server;

  private constructor(server: http.Server) {
    this.#server = server;
  }

  /** Serves `source` at http://host:port/metrics (port 0: any free one). */
  static async listen(source: MetricsSource, port: number, host: string): Promise<MetricsEndpoint> {
    const server = http.createServer((request, response) => {
      if ((request.url ?? '/').split('?')[0] !== METRICS_PATH) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
        response.end('method not allowed\n');
        return;
      }
      source.metrics().then(
        (text) => response.writeHead(200, { 'content-type': source.contentType }).end(text),
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          response.writeHead(500, { 'content-type': 'text/plain' }).end(`${message}\n`);
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new MetricsEndpoint(server);
  }

  /** Where it listens. */
  address(): TransportAddress {
    const { address, family, port } = this.#server.address() as AddressInfo;
    return { address, family, port };
  }

  /** Stops listening and ends its connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
