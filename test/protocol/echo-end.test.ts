/**
 * The end of a half-closed echo over TCP: a client writes everything, sends its close_notify with
 * end(), and reads the echo to the end with a reader that keeps pausing. Every byte must come
 * back before data$ completes, on every pair of engines (the node engine decrypts on later turns:
 * when the server's FIN arrived with its last records still inside Node, the client used to close
 * as if the peer had hung up, and lost whole records). The server is `rxtls serve --echo` in its
 * own process: the race needs the two ends running in parallel, as they do in production.
 */
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../src/context/ssl-context.js';
import { connect } from '../../src/endpoints/connect.js';
import type { EngineKind } from '../../src/transport/sansio/engine.js';
import { engineAvailable } from '../../src/transport/engines/engines.js';
import { PROTOCOL_TLS_CLIENT } from '../../src/constants/ssl-constants.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { rxtls, stopAll } from '../cli/cli-process.js';
import { usePki } from '../helpers/pki.js';
import { sha256 } from '../helpers/streams.js';

const PAYLOAD = 1024 * 1024;
const WRITE_CHUNK = 64 * 1024;
/** Connections per pair of engines: the lost-records race showed in about a sixth of them. */
const ROUNDS = 16;

test.after(async () => {
  await stopAll();
});
const pki = usePki(test);

/** Writes `payload`, ends, and reads the echo to the end, pausing after every third chunk. */
async function roundTrip(socket: SSLSocket<SSLContext>, payload: Buffer): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const done = new Promise<void>((resolve, reject) => {
    socket.data$.subscribe({
      next: (chunk) => {
        chunks.push(chunk);
        if (chunks.length % 3 === 0) {
          socket.pause();
          setImmediate(() => socket.resume());
        }
      },
      complete: resolve,
      error: reject,
    });
  });
  for (let offset = 0; offset < payload.length; offset += WRITE_CHUNK) {
    if (!socket.write(payload.subarray(offset, offset + WRITE_CHUNK))) {
      await new Promise<void>((resolve) => {
        const subscription = socket.writable$.subscribe(() => {
          subscription.unsubscribe();
          resolve();
        });
      });
    }
  }
  socket.end();
  await done;
  return Buffer.concat(chunks);
}

const engines = (['native', 'node'] as const).filter((engine) => engineAvailable(engine));

for (const serverEngine of engines) {
  for (const clientEngine of engines) {
    test(`a paused reader gets the whole echo before the end (server ${serverEngine}, client ${clientEngine})`, async () => {
      const server = rxtls(
        pki.dir,
        [
          'serve',
          '--echo',
          '--port',
          '0',
          '--cert',
          pki.path('server'),
          '--key',
          pki.path('server-key'),
        ],
        { RXTLS_ENGINE: serverEngine },
      );
      const [, listening] = await server.waitFor(/listening on \S+:(\d+)\n/);
      const port = Number(listening);
      const clientContext = new SSLContext(PROTOCOL_TLS_CLIENT, {
        engine: clientEngine as EngineKind,
      });
      clientContext.loadVerifyLocations({ cafile: pki.path('ca') });
      const reactor = new Reactor();
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const payload = randomBytes(PAYLOAD);
          const socket = await connect({
            host: 'localhost',
            port,
            context: clientContext,
            suppressRaggedEofs: false,
            reactor,
          });
          const echoed = await roundTrip(socket, payload);
          assert.is(echoed.length, payload.length, `round ${round}`);
          assert.is(sha256(echoed), sha256(payload), `round ${round}`);
          await socket.close();
        }
      } finally {
        await server.stop();
        await reactor.shutdown({ timeoutMs: 1_000 });
      }
    });
  }
}

test.run();
