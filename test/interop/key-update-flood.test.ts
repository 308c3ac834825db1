/**
 * A TLS 1.3 KeyUpdate flood from a client whose send direction the test takes over after a real
 * handshake (test/helpers/tls13-sender.ts), in memory (README, Limits under attack).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../src/context/ssl-context.js';
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from '../../src/constants/ssl-constants.js';
import { SSLError, SSLWantReadError } from '../../src/errors/errors.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import type { SSLObject } from '../../src/transport/sansio/ssl-object.js';
import { usePki } from '../helpers/pki.js';
import { failureOf, handshake, pumpUntil, step } from '../helpers/pump.js';
import { secretFromKeylog, Tls13Sender } from '../helpers/tls13-sender.js';

const pki = usePki(test);
const LIMIT = 32; // POST_HANDSHAKE_LIMIT (scripts/gen-abi.mjs)

/**
 * A TLS 1.3 connection in memory whose client direction is then written by a Tls13Sender: the
 * client SSLObject is never driven again (its NewSessionTickets stay unread).
 */
async function takenOver(): Promise<{
  client: SSLObject;
  server: SSLObject;
  sender: Tls13Sender;
  native: boolean;
  done: () => void;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-keyupdate-'));
  const serverCtx = new SSLContext(PROTOCOL_TLS_SERVER);
  serverCtx.loadCertChain(pki.path('server-combined'));
  const clientCtx = new SSLContext(PROTOCOL_TLS_CLIENT);
  clientCtx.loadVerifyLocations({ cafile: pki.path('ca') });
  const keylog = join(dir, 'keylog.txt');
  clientCtx.keylogFilename = keylog;
  const client = clientCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), {
    serverHostname: 'localhost',
  });
  const server = serverCtx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
  await handshake(client, server);
  // The client has sent its Finished and no application data: its application traffic keys
  // are at sequence number 0.
  const [suite] = client.cipher() ?? [''];
  const sender = new Tls13Sender(
    suite,
    secretFromKeylog(readFileSync(keylog, 'latin1'), 'CLIENT_TRAFFIC_SECRET_0'),
  );
  return {
    client,
    server,
    sender,
    native: serverCtx.engine === 'native',
    done: () => {
      client.destroy();
      server.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Feeds `records` to the server and reads until `expected` plaintext has arrived. */
async function receive(server: SSLObject, records: Buffer[], expected: string): Promise<void> {
  for (const record of records) server.incoming.write(record);
  let got = '';
  await pumpUntil(
    server,
    server,
    () => true,
    () => {
      while (got.length < expected.length)
        got += server.read(expected.length - got.length).toString();
      return true;
    },
  );
  assert.is(got, expected);
}

test('sender self-check: the server reads data the taken-over client direction encrypts', async () => {
  const { server, sender, done } = await takenOver();
  await receive(server, [sender.data(Buffer.from('hello'))], 'hello');
  done();
});

/**
 * Sends one KeyUpdate per read call, as a peer pacing them would: each read finds no data.
 * Returns the error that ended the flood, or undefined if all `count` were taken.
 */
function pacedKeyUpdates(
  server: SSLObject,
  sender: Tls13Sender,
  count: number,
  requested = false,
): unknown {
  for (let i = 0; i < count; i += 1) {
    server.incoming.write(sender.keyUpdate(requested));
    try {
      server.read(1024);
    } catch (error) {
      if (!(error instanceof SSLWantReadError)) return error;
      continue;
    }
    throw new Error('a KeyUpdate read as application data');
  }
  return undefined;
}

test(`${LIMIT} KeyUpdates in a row are taken and the next data reads under the updated key`, async () => {
  const { server, sender, done } = await takenOver();
  assert.is(pacedKeyUpdates(server, sender, LIMIT), undefined);
  await receive(server, [sender.data(Buffer.from('after 32'))], 'after 32');
  // Application data ends the row: another 32 are taken.
  assert.is(pacedKeyUpdates(server, sender, LIMIT), undefined);
  await receive(server, [sender.data(Buffer.from('after 64'))], 'after 64');
  // update_not_requested: the server answers nothing.
  assert.is(server.outgoing.pending, 0);
  done();
});

test('a KeyUpdate flood: the native engine fails the 33rd in a row, the node engine keeps reading', async () => {
  const { server, sender, native, done } = await takenOver();
  if (native) {
    const error = pacedKeyUpdates(server, sender, LIMIT + 1);
    assert.instance(error, SSLError);
    assert.is((error as SSLError).reason, 'TOO_MANY_KEY_UPDATES');
    // Every later call fails the same way, data or not.
    server.incoming.write(sender.data(Buffer.from('late')));
    const again = await failureOf(server, () => server.read(1024));
    assert.is((again as SSLError).reason, 'TOO_MANY_KEY_UPDATES');
  } else {
    // README, Limits under attack: node:tls offers no message hook, so no count; each
    // KeyUpdate costs a key derivation, nothing is held and nothing is answered.
    assert.is(pacedKeyUpdates(server, sender, 1_000), undefined);
    await receive(server, [sender.data(Buffer.from('after 1000'))], 'after 1000');
    assert.is(server.incoming.pending, 0);
    assert.is(server.outgoing.pending, 0);
  }
  done();
});

test('33 KeyUpdates fed at once fail on the native engine; followed by data in the same feed, the row ends', async () => {
  const ended = await takenOver();
  const flood = Array.from({ length: 200 }, () => ended.sender.keyUpdate());
  // The count is judged when a read call ends: data within the same feed ends the row first.
  await receive(ended.server, [...flood, ended.sender.data(Buffer.from('ok'))], 'ok');
  ended.done();
  const { server, sender, native, done } = await takenOver();
  for (let i = 0; i <= LIMIT; i += 1) server.incoming.write(sender.keyUpdate());
  if (native) {
    const error = await failureOf(server, () => server.read(1024));
    assert.is((error as SSLError).reason, 'TOO_MANY_KEY_UPDATES');
  } else {
    await receive(server, [sender.data(Buffer.from('ok'))], 'ok');
  }
  done();
});

test('KeyUpdates that ask for an answer are answered, and the real client follows the new keys', async () => {
  const { client, server, sender, native, done } = await takenOver();
  assert.is(pacedKeyUpdates(server, sender, LIMIT, true), undefined);
  if (native) {
    // OpenSSL answers each request at once with a KeyUpdate of its own (a 27-byte record with
    // AES-GCM): bounded by the count, as the requests are.
    const answers = server.outgoing.pending;
    report('answers to 32 requested KeyUpdates', { bytes: answers });
    assert.ok(answers > 0 && answers <= LIMIT * 64, `the server queued ${answers} bytes`);
  }
  // The client SSLObject, whose reading side is still its own, reads data sent under the
  // server's updated key (its NewSessionTickets come first).
  let got = '';
  await pumpUntil(
    client,
    server,
    () => {
      while (got.length < 4) got += client.read(4 - got.length).toString();
      return true;
    },
    step(() => server.write(Buffer.from('pong'))),
  );
  assert.is(got, 'pong');
  done();
});

/** Figures for the report, printed only when RXTLS_TEST_REPORT is set. */
function report(what: string, data: object): void {
  if (process.env['RXTLS_TEST_REPORT']) console.log(what, JSON.stringify(data));
}

test.run();
