/**
 * Warning alerts in a row from a raw TCP client in the middle of a TLS 1.2 handshake (README,
 * Limits under attack): OpenSSL refuses the fifth, on both engines.
 */
import net from 'node:net';
import tls from 'node:tls';
import { firstValueFrom } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../src/context/ssl-context.js';
import { PROTOCOL_TLS_SERVER } from '../../src/constants/ssl-constants.js';
import { createServer, type Server } from '../../src/endpoints/server.js';
import { SSLError } from '../../src/errors/errors.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { usePki } from '../helpers/pki.js';

const pki = usePki(test);
let serverCtx: SSLContext;

test.before(() => {
  serverCtx = new SSLContext(PROTOCOL_TLS_SERVER);
  serverCtx.loadCertChain(pki.path('server-combined'));
});

/** An echo server that hands each stream (and the error that ended it) to the test. */
async function startServer(): Promise<{
  server: Server;
  port: number;
  ended: Promise<Error | undefined>[];
}> {
  const ended: Promise<Error | undefined>[] = [];
  const server = createServer({ context: serverCtx, reactor: new Reactor() }, (socket) => {
    const s = socket as SSLSocket<unknown>;
    ended.push(firstValueFrom(s.closed$).then(() => s.error));
    s.data$.subscribe({ next: (chunk) => s.write(chunk), error: () => undefined });
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, ended };
}

test('warning alerts in a row during a TLS 1.2 handshake: TOO_MANY_WARN_ALERTS', async () => {
  const { server, port, ended } = await startServer();
  const hello = await clientHello('TLSv1.2');
  const client = net.connect(port, '127.0.0.1');
  client.on('error', () => undefined);
  client.write(hello);
  // The server's flight has come: instead of its key exchange the client sends warnings
  // (user_canceled), one at a time, until the server closes.
  await new Promise((resolve) => client.once('data', resolve));
  client.resume();
  const warning = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x5a]);
  const closed = new Promise((resolve) => client.once('close', resolve));
  for (let i = 0; i < 10; i += 1) client.write(warning);
  await closed;
  const error = await ended[0];
  assert.instance(error, SSLError);
  assert.is((error as SSLError).reason, 'TOO_MANY_WARN_ALERTS');
  await server.close({ timeoutMs: 5_000 });
});

/** A real node:tls ClientHello (up to `maxVersion`), captured from a raw listener. */
async function clientHello(maxVersion: tls.SecureVersion): Promise<Buffer> {
  const capture = net.createServer();
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  const { port } = capture.address() as net.AddressInfo;
  const got = new Promise<Buffer>((resolve) =>
    capture.once('connection', (s) => s.once('data', (chunk: Buffer) => resolve(chunk))),
  );
  const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', maxVersion });
  client.on('error', () => undefined);
  const bytes = await got;
  client.destroy();
  await new Promise<void>((resolve) => capture.close(() => resolve()));
  return bytes;
}

test.run();
