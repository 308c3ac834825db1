/**
 * The model in its shortest form: two SSLObjects, four MemoryBIOs, and a loop that carries bytes
 * between them. No sockets, no reactor, no streams: TLS is a function from bytes to bytes.
 *
 * Run: node dist/examples/sans-io.js
 */
import { SSLContext } from '../src/context/ssl-context.js';
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import { SSLWantReadError, SSLWantWriteError } from '../src/errors/errors.js';
import { MemoryBIO } from '../src/transport/sansio/memory-bio.js';
import type { SSLObject } from '../src/transport/sansio/ssl-object.js';
import { exampleCertificates, isMain } from './example-certificates.js';

/** Enough rounds for any handshake; a loop that needs more is stuck. */
const MAX_ROUNDS = 1_000;

/** Whether `op` finished; false when the engine wants more bytes first. */
function succeeds(op: () => unknown): boolean {
  try {
    op();
    return true;
  } catch (error) {
    if (error instanceof SSLWantReadError || error instanceof SSLWantWriteError) return false;
    throw error;
  }
}

/** Carries bytes between the two ends until `done()` says so. */
async function pumpUntil(done: () => boolean, client: SSLObject, server: SSLObject): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (done()) return;
    // The wire: whatever one side wrote, the other reads.
    server.incoming.write(client.outgoing.read());
    client.incoming.write(server.outgoing.read());
    // The node engine works on later turns of the event loop (the native one at once).
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no progress after ${MAX_ROUNDS} rounds`);
}

/** Handshakes two SSLObjects in memory and sends one message each way. */
export async function main(): Promise<{
  version: string | null;
  cipher: string | undefined;
  toServer: string;
  toClient: string;
  close(): Promise<void>;
}> {
  const certs = await exampleCertificates({ server: ['localhost'] });
  const serverCtx = new SSLContext(PROTOCOL_TLS_SERVER);
  serverCtx.loadCertChain(certs.files('server').certfile, certs.files('server').keyfile);
  const clientCtx = new SSLContext(PROTOCOL_TLS_CLIENT); // verifies the certificate and the name
  clientCtx.loadVerifyLocations({ cafile: certs.caFile });

  const client = clientCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), {
    serverHostname: 'localhost',
  });
  const server = serverCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });

  let clientDone = false;
  let serverDone = false;
  await pumpUntil(
    () => {
      clientDone ||= succeeds(() => client.doHandshake());
      serverDone ||= succeeds(() => server.doHandshake());
      return clientDone && serverDone;
    },
    client,
    server,
  );

  let toServer = '';
  let toClient = '';
  client.write(Buffer.from('hello, server'));
  await pumpUntil(() => succeeds(() => (toServer = server.read(1024).toString())), client, server);
  server.write(Buffer.from('hello, client'));
  await pumpUntil(() => succeeds(() => (toClient = client.read(1024).toString())), client, server);

  return {
    version: client.version(),
    cipher: client.cipher()?.[0],
    toServer,
    toClient,
    async close() {
      client.destroy();
      server.destroy();
      certs.remove();
    },
  };
}

if (isMain(import.meta.url)) {
  const result = await main();
  console.log(`${result.version} ${result.cipher}: "${result.toServer}" / "${result.toClient}"`);
  await result.close();
}
