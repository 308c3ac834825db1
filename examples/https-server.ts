/**
 * An HTTPS server on rxtls: h2 and HTTP/1.1 by ALPN with one handler (Node's request/response
 * API), through createHttpsServer. The page says how you came: the protocol and the TLS session.
 *
 * Run: node dist/examples/https-server.js     (PORT, HOST from the environment)
 * Try: curl --cacert <CA printed at start> https://localhost:<port>/   (--http1.1 for HTTP/1.1)
 */
import { PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { createHttpsServer, type HttpsServer } from '../src/endpoints/https-server.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** A running HTTPS server. */
export interface RunningHttpsServer {
  server: HttpsServer;
  port: number;
  caFile: string;
  close(): Promise<void>;
}

/** Starts the HTTPS server on a generated localhost certificate. */
export async function main(
  options: { port?: number; host?: string } = {},
): Promise<RunningHttpsServer> {
  const certs = await exampleCertificates({ server: ['localhost', '127.0.0.1'] });
  const { certfile, keyfile } = certs.files('server');
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(certfile, keyfile);
  context.setAlpnProtocols(['h2', 'http/1.1']);

  const server = createHttpsServer({ context }, (request, response) => {
    // The secure stream the request came on: its TLS session.
    const tls = server.http.streamOf(request);
    response.setHeader('content-type', 'text/plain; charset=utf-8');
    response.end(
      `hello from rxtls: ${request.method} ${request.url} over HTTP/${request.httpVersion}, ` +
        `${tls?.version()} with ${tls?.cipher()?.[0]}, ALPN ${tls?.selectedAlpnProtocol() ?? 'none'}\n`,
    );
  });
  const { port } = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    server,
    port,
    caFile: certs.caFile,
    async close() {
      await server.close({ timeoutMs: 1_000 });
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
