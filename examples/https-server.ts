/**
 * Node's own `http` server over rxtls: each secure stream becomes a `stream.Duplex`
 * (toNodeDuplex) that the HTTP server takes as a connection. The page shows the TLS session.
 *
 * Run: node dist/examples/https-server.js     (PORT, HOST from the environment)
 * Try: curl --cacert <CA printed at start> https://localhost:<port>/
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { SSLContext } from '../src/context/ssl-context.js';
import { toNodeDuplex } from '../src/protocol/node-duplex.js';
import { createServer, type Server } from '../src/endpoints/server.js';
import { PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import type { SSLSocket } from '../src/transport/stream/ssl-socket.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** A running HTTPS server. */
export interface HttpsServer {
  server: Server;
  port: number;
  caFile: string;
  close(): Promise<void>;
}

/** Starts the HTTPS server on a generated localhost certificate. */
export async function main(options: { port?: number; host?: string } = {}): Promise<HttpsServer> {
  const certs = await exampleCertificates({ server: ['localhost', '127.0.0.1'] });
  const { certfile, keyfile } = certs.files('server');
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(certfile, keyfile);
  context.setAlpnProtocols(['http/1.1']);

  // Which secure stream carries which HTTP connection, without decorating Node's objects.
  const streams = new WeakMap<Duplex, SSLSocket>();
  const app = http.createServer((request, response) => {
    const tls = streams.get(request.socket as Duplex);
    response.setHeader('content-type', 'text/plain; charset=utf-8');
    response.end(
      `hello from rxtls: ${request.method} ${request.url} over ${tls?.version()} ` +
        `with ${tls?.cipher()?.[0]}, ALPN ${tls?.selectedAlpnProtocol() ?? 'none'}\n`,
    );
  });

  const server = createServer({ context }, (socket) => {
    socket.handshake().then(
      () => {
        const duplex = toNodeDuplex(socket);
        streams.set(duplex, socket);
        app.emit('connection', duplex);
      },
      () => undefined, // a failed handshake (a plain HTTP client, an untrusting one) ends there
    );
  });
  const { port } = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    server,
    port,
    caFile: certs.caFile,
    async close() {
      app.closeAllConnections();
      await server.close({ timeoutMs: 1_000 });
      app.close();
      certs.remove();
    },
  };
}

if (isMain(import.meta.url)) {
  const running = await main({
    port: Number(process.env['PORT'] ?? 8443),
    host: process.env['HOST'] ?? '127.0.0.1',
  });
  console.log(`curl --cacert ${running.caFile} https://localhost:${running.port}/`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
