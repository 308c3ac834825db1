/**
 * One TLS echo server per process, so bench/server-cpu.ts can measure each server's own CPU and
 * memory: `node dist/bench/echo-server.js <rxtls-native|rxtls-native-owned|rxtls-native-borrowed|rxtls-node|node-native> CERT KEY`.
 * Prints `LISTENING <port>` when ready; serves until SIGTERM.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { echoStream } from '../src/cli/echo-stream.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { createServer } from '../src/endpoints/server.js';
import { PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import { Reactor } from '../src/transport/stream/reactor.js';
import type { SSLSocket } from '../src/transport/stream/ssl-socket.js';

const [kind = 'rxtls-native', certPath = '', keyPath = ''] = process.argv.slice(2);

/** An application's own echo: data$ gives it chunks of its own (it could keep them). */
function ownedEcho(socket: SSLSocket<unknown>): void {
  socket.data$.subscribe({
    next: (chunk) => {
      if (!socket.write(chunk)) socket.pause();
    },
    complete: () => void socket.close(),
    error: () => undefined,
  });
  socket.writable$.subscribe(() => socket.resume());
}

async function main(): Promise<void> {
  if (kind === 'node-native') {
    const server = tls.createServer(
      { cert: readFileSync(certPath), key: readFileSync(keyPath) },
      (socket) => {
        socket.on('error', () => undefined);
        socket.pipe(socket);
      },
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 4096, resolve));
    console.log(`LISTENING ${(server.address() as { port: number }).port}`);
    process.once('SIGTERM', () => server.close(() => process.exit(0)));
    return;
  }
  const context = new SSLContext(PROTOCOL_TLS_SERVER, {
    engine: kind === 'rxtls-node' ? 'node' : 'native',
  });
  context.loadCertChain(certPath, keyPath);
  const reactor = new Reactor();
  // The echo writes each chunk back before next() returns: it may borrow them.
  const borrowedReads = kind === 'rxtls-native-borrowed';
  // `rxtls serve --echo`'s echo (chunks lent by default), or an application's own subscriber.
  const onSocket = kind === 'rxtls-native-owned' || borrowedReads ? ownedEcho : echoStream;
  const server = createServer({ context, reactor, borrowedReads }, onSocket);
  const { port } = await server.listen(0, '127.0.0.1');
  console.log(`LISTENING ${port}`);
  process.once('SIGTERM', () => {
    server.close({ timeoutMs: 1_000 }).then(() => process.exit(0));
  });
}

await main();
