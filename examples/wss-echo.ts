/**
 * WebSocket over rxtls: `ws` (the npm package) on rxtls's HTTPS server, where a client's HTTP/1.1
 * upgrade request reaches ws's server, and `ws` as a client over an rxtls `connect` stream. Each
 * message comes back; the server reads no faster than its client takes the echo (a stream
 * pipeline), and a close ends the TLS connection with close_notify.
 *
 * Run: node dist/examples/wss-echo.js    (PORT, HOST from the environment)
 */
import { pipeline } from 'node:stream';
import { createWebSocketStream, WebSocket, WebSocketServer } from 'ws';
import { Purpose, PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import { createDefaultContext } from '../src/context/default-context.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { connect } from '../src/endpoints/connect.js';
import { createHttpsServer, type HttpsServer } from '../src/endpoints/https-server.js';
import { toNodeDuplex } from '../src/protocol/node-duplex.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** The largest message the server takes; a bigger one is refused with close code 1009. */
export const MAX_MESSAGE = 1024 * 1024;

/** A running wss echo server. */
export interface WssEcho {
  server: HttpsServer;
  port: number;
  caFile: string;
  close(): Promise<void>;
}

/** Starts the wss echo server. */
export async function main(options: { port?: number; host?: string } = {}): Promise<WssEcho> {
  const certs = await exampleCertificates({ server: ['localhost', '127.0.0.1'] });
  const { certfile, keyfile } = certs.files('server');
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(certfile, keyfile);
  // WebSocket upgrades are HTTP/1.1 requests.
  context.setAlpnProtocols(['http/1.1']);

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  wss.on('connection', (websocket) => {
    // Echo with backpressure: the pipeline reads the next message only as the echo is taken.
    const stream = createWebSocketStream(websocket);
    pipeline(stream, stream, () => undefined);
  });
  const server = createHttpsServer({ context }, (_request, response) => {
    response.statusCode = 426;
    response.end('this server speaks WebSocket\n');
  });
  server.http.server.on('upgrade', (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (websocket) => wss.emit('connection', websocket));
  });
  const { port } = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    server,
    port,
    caFile: certs.caFile,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await server.close({ timeoutMs: 1_000 });
      certs.remove();
    },
  };
}

/** A wss client over an rxtls stream (verifying the server) that sends `messages` and collects the echoes. */
export async function echoClient(port: number, caFile: string, messages: (string | Buffer)[]) {
  const context = createDefaultContext(Purpose.SERVER_AUTH, { cafile: caFile });
  const tls = await connect({ host: 'localhost', port, context });
  const websocket = new WebSocket(`wss://localhost:${port}/`, {
    createConnection: () => toNodeDuplex(tls) as never,
  });
  await new Promise((resolve, reject) => {
    websocket.once('open', resolve);
    websocket.once('error', reject);
  });
  const replies: string[] = [];
  for (const message of messages) {
    const reply = new Promise<string>((resolve) =>
      websocket.once('message', (data) => resolve(String(data))),
    );
    websocket.send(message);
    replies.push(await reply);
  }
  const closed = new Promise<number>((resolve) => websocket.once('close', (code) => resolve(code)));
  websocket.close(1000);
  return { replies, code: await closed, tls };
}

if (isMain(import.meta.url)) {
  const running = await main({
    port: Number(process.env['PORT'] ?? 8445),
    host: process.env['HOST'] ?? '127.0.0.1',
  });
  console.log(`wss echo on wss://localhost:${running.port}/ (CA: ${running.caFile})`);
  const { replies } = await echoClient(running.port, running.caFile, ['hello over wss']);
  console.log(`echoed: ${replies.join(', ')}`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
