/**
 * SSLObject.tryReadInto, the secure stream's read (issue 16): readAvailableInto() that answers
 * WOULD_BLOCK where readAvailableInto() raises a plain SSLWantReadError (readiness$ still says
 * want-read), with partial records too, and every other outcome as readAvailableInto(): data,
 * 0 at the peer's close_notify, and errors thrown.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLError, SSLWantReadError } from '../../../src/errors/errors.js';
import { WOULD_BLOCK } from '../../../src/transport/sansio/engine.js';
import { MemoryBIO } from '../../../src/transport/sansio/memory-bio.js';
import type { SSLObject } from '../../../src/transport/sansio/ssl-object.js';
import { handshake } from '../../helpers/pump.js';
import { nextEvent } from '../../../src/testing/pump.js';
import { throwsA } from '../../helpers/assert-error.js';
import { useContextPair } from '../../helpers/pki.js';

const fixture = useContextPair(test);

async function connected(): Promise<{ client: SSLObject; server: SSLObject }> {
  const client = fixture.clientCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), {
    serverHostname: 'localhost',
  });
  const server = fixture.serverCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
  await handshake(client, server);
  // The client takes the server's session tickets, so only application data flows from here.
  try {
    client.read();
  } catch (error) {
    if (!(error instanceof SSLWantReadError)) throw error;
  }
  return { client, server };
}

/**
 * What tryReadInto answers once the engine has taken what arrived: the node engine decrypts on
 * later turns (each announced on readiness$), the native one at once. Bounded: 50 events.
 */
async function settled(obj: SSLObject, buffer: Uint8Array): Promise<number> {
  for (let round = 0; round < 50; round++) {
    const count = obj.tryReadInto(buffer);
    if (count !== WOULD_BLOCK) return count;
    await nextEvent(obj, obj);
  }
  throw new Error('tryReadInto still answers WOULD_BLOCK after 50 events');
}

/** The ciphertext `obj` has written, once there is some (the node engine encrypts on later turns). */
async function ciphertextOf(obj: SSLObject): Promise<Buffer> {
  for (let round = 0; round < 50; round++) {
    if (obj.outgoing.pending > 0) return obj.outgoing.read();
    await nextEvent(obj, obj);
  }
  throw new Error('no ciphertext after 50 events');
}

test('answers WOULD_BLOCK, announcing want-read, where readAvailableInto raises SSLWantReadError', async () => {
  const { client, server } = await connected();
  const buffer = Buffer.alloc(65536);
  const events: string[] = [];
  const subscription = server.readiness$.subscribe((event) => events.push(event.type));
  assert.is(server.tryReadInto(buffer), WOULD_BLOCK);
  assert.ok(events.includes('want-read'), `events: ${events.join(', ')}`);
  throwsA(() => server.readAvailableInto(buffer), SSLWantReadError);
  assert.is(server.tryReadInto(new Uint8Array(0)), 0);
  subscription.unsubscribe();
  client.destroy();
  server.destroy();
});

test('a partial record answers WOULD_BLOCK; the whole record then reads in full', async () => {
  const { client, server } = await connected();
  const payload = Buffer.alloc(5000, 0x5a);
  client.write(payload);
  const record = await ciphertextOf(client);
  const buffer = Buffer.alloc(65536);
  server.incoming.write(record.subarray(0, 100));
  assert.is(server.tryReadInto(buffer), WOULD_BLOCK);
  server.incoming.write(record.subarray(100, record.length - 1));
  assert.is(server.tryReadInto(buffer), WOULD_BLOCK);
  server.incoming.write(record.subarray(record.length - 1));
  assert.is(await settled(server, buffer), payload.length);
  assert.ok(buffer.subarray(0, payload.length).equals(payload));
  assert.is(server.tryReadInto(buffer), WOULD_BLOCK);
  client.destroy();
  server.destroy();
});

test("the peer's close_notify reads as 0, as readAvailableInto", async () => {
  const { client, server } = await connected();
  try {
    client.unwrap();
  } catch (error) {
    if (!(error instanceof SSLWantReadError)) throw error;
  }
  server.incoming.write(await ciphertextOf(client));
  assert.is(await settled(server, Buffer.alloc(1024)), 0);
  client.destroy();
  server.destroy();
});

test('a corrupt record is thrown, not answered WOULD_BLOCK', async () => {
  const { client, server } = await connected();
  client.write(Buffer.from('hello'));
  const record = Buffer.from(await ciphertextOf(client));
  record[record.length - 1] = (record[record.length - 1] as number) ^ 0xff;
  server.incoming.write(record);
  let failure: unknown;
  try {
    await settled(server, Buffer.alloc(1024));
  } catch (error) {
    failure = error;
  }
  assert.instance(failure, SSLError);
  client.destroy();
  server.destroy();
});

test.run();
