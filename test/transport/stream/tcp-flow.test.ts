/**
 * Secure streams over real TCP on 127.0.0.1 under load: memory stays bounded under a slow reader,
 * random data of many sizes echoes byte-exact in both directions at once, and a thousand
 * concurrent connections are served with statistics that agree.
 */
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../../../src/endpoints/connect.js';
import { createServer } from '../../../src/endpoints/server.js';
import { Reactor } from '../../../src/transport/stream/reactor.js';
import { useContextPair } from '../../helpers/pki.js';
import { slowReaderSoak } from '../../helpers/soak.js';
import { digestOf, echo, sha256, writeSplit } from '../../helpers/streams.js';

const MiB = 1024 * 1024;
/** The soak's size: 1 GiB (about 4 s native, 10 s node engine); RXTLS_SOAK_BYTES overrides. */
const SOAK_BYTES = Number(process.env.RXTLS_SOAK_BYTES ?? 1024 * MiB);
/** heapUsed + arrayBuffers may not exceed this during the soak. */
const MEMORY_BOUND = 256 * MiB;

/** Timings for the report, printed only when RXTLS_TEST_REPORT is set. */
function report(what: string, data: object): void {
  if (process.env.RXTLS_TEST_REPORT) console.log(what, JSON.stringify(data));
}

const fixture = useContextPair(test);

test('memory stays under a fixed bound while a slow reader receives hundreds of MiB', async () => {
  const result = await slowReaderSoak(SOAK_BYTES, fixture.serverCtx, fixture.clientCtx);
  assert.is(result.bytes, SOAK_BYTES);
  assert.is(result.receivedSha256, result.sentSha256);
  assert.ok(
    result.peakMemory < MEMORY_BOUND,
    `peak heapUsed + arrayBuffers ${(result.peakMemory / MiB).toFixed(1)} MiB`,
  );
  report('slow reader', result);
});

test('random data of 0 B to 64 MiB in random splits echoes byte-exact while both directions run at once', async () => {
  const reactor = new Reactor();
  const server = createServer({ context: fixture.serverCtx, reactor }, echo);
  const { port } = await server.listen(0, '127.0.0.1');
  try {
    for (const size of [0, 1, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, MiB, 64 * MiB]) {
      const payload = randomBytes(size);
      const started = Date.now();
      const client = await connect({
        host: 'localhost',
        port,
        context: fixture.clientCtx,
        reactor,
      });
      // The echo comes back while the client is still writing: both directions are busy.
      const back = digestOf(client);
      await writeSplit(client, payload, size > MiB ? 256 * 1024 : 20_000);
      client.end();
      const digest = await back;
      report(`echo ${size}`, { elapsedMs: Date.now() - started });
      assert.is(digest.bytes, size, `size ${size}`);
      assert.is(digest.sha256, sha256(payload), `size ${size}`);
    }
  } finally {
    await server.close({ timeoutMs: 2_000 });
  }
  assert.is(reactor.stats().connections, 0);
});

test('1,000 concurrent connections each echo 64 KiB and close cleanly; the server stats agree', async () => {
  const started = Date.now();
  const count = 1_000;
  const size = 64 * 1024;
  const serverReactor = new Reactor();
  const clientReactor = new Reactor();
  const server = createServer({ context: fixture.serverCtx, reactor: serverReactor }, echo);
  const { port } = await server.listen(0, '127.0.0.1');
  try {
    const payload = randomBytes(size);
    const expected = sha256(payload);
    const one = async (): Promise<void> => {
      const client = await connect({
        host: 'localhost',
        port,
        context: fixture.clientCtx,
        reactor: clientReactor,
      });
      const back = digestOf(client);
      await writeSplit(client, payload, 16 * 1024);
      client.end();
      const digest = await back;
      assert.is(digest.sha256, expected);
      await client.close();
    };
    await Promise.all(Array.from({ length: count }, one));
    // The server side closes once its peer's close_notify was answered: wait for every stream.
    while (serverReactor.stats().connections > 0) {
      await Promise.all([...serverReactor.sockets].map((s) => s.close()));
    }
    const stats = serverReactor.stats();
    assert.is(stats.handshakesOk, count);
    assert.is(stats.handshakesFailed, 0);
    assert.is(stats.connections, 0);
    const clients = clientReactor.stats();
    // Every ciphertext byte one side sent, the other received.
    assert.is(stats.bytesIn, clients.bytesOut);
    assert.is(stats.bytesOut, clients.bytesIn);
    assert.ok(stats.bytesIn > count * size);
    report('1000 connections', { elapsedMs: Date.now() - started });
  } finally {
    await server.close({ timeoutMs: 5_000 });
  }
});

test.run();
