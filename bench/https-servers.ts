/**
 * The server processes of bench/https.ts, one per run: `node dist/bench/https-servers.js KIND
 * CERT KEY` listens on 127.0.0.1 (a free port), prints `LISTENING <port>`, and serves until
 * SIGTERM. Every kind answers the same minimal handler: 200, text/plain, `hello\n`.
 *
 * - rxtls: createHttpsServer (h2 and http/1.1 by ALPN through HttpService) on the default engine;
 * - node-https: Node's https.createServer (http/1.1 only);
 * - node-http2: Node's http2.createSecureServer with allowHTTP1 (h2 and http/1.1 by ALPN).
 *
 * (The demo page runs as `rxtls serve --https`, the command users start.)
 */
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { createHttpsServer } from '../src/endpoints/https-server.js';
import type { HttpRequest, HttpResponse } from '../src/protocol/http/http-service.js';

const [kind, cert = '', key = ''] = process.argv.slice(2);

function minimal(_request: HttpRequest, response: HttpResponse): void {
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end('hello\n');
}

async function listen(): Promise<{ port: number; close: () => void }> {
  if (kind === 'rxtls') {
    const context = new SSLContext(PROTOCOL_TLS_SERVER);
    context.loadCertChain(cert, key);
    const server = createHttpsServer({ context }, minimal);
    const { port } = await server.listen(0, '127.0.0.1');
    return { port, close: () => void server.close({ timeoutMs: 1_000 }) };
  }
  const options = { cert: readFileSync(cert), key: readFileSync(key) };
  const server =
    kind === 'node-https'
      ? https.createServer(options, minimal)
      : http2.createSecureServer({ ...options, allowHTTP1: true }, minimal);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, close: () => server.close() };
}

if (kind !== 'rxtls' && kind !== 'node-https' && kind !== 'node-http2') {
  throw new Error(`unknown server kind ${String(kind)} (rxtls, node-https, node-http2)`);
}
const { port, close } = await listen();
process.once('SIGTERM', () => {
  close();
  process.exit(0);
});
process.stdout.write(`LISTENING ${port}\n`);
