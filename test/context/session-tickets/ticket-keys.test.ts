/**
 * SSLContext.setTicketKeys / getTicketKeys and sessionIdContext: Node's 48-byte format, a ring
 * whose newest key encrypts and whose older keys still decrypt, on real handshakes, and errors
 * that never carry a key's bytes.
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../../src/context/ssl-context.js';
import {
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  TLSVersion,
} from '../../../src/constants/ssl-constants.js';
import { ValueError } from '../../../src/errors/errors.js';
import type { EngineKind } from '../../../src/transport/sansio/engine.js';
import { engineAvailable } from '../../../src/transport/engines/engines.js';
import { throwsA } from '../../helpers/assert-error.js';
import { usePki } from '../../helpers/pki.js';
import { resumeInMemory } from '../../helpers/pump.js';

const test = suite('session ticket keys');
const pki = usePki(test);

function server(keys?: Buffer, engine?: EngineKind): SSLContext {
  const context = new SSLContext(PROTOCOL_TLS_SERVER, engine ? { engine } : {});
  context.loadCertChain(pki.path('server-combined'));
  if (keys) context.setTicketKeys(keys);
  return context;
}

function client(version: TLSVersion): SSLContext {
  const context = new SSLContext(PROTOCOL_TLS_CLIENT);
  context.loadVerifyLocations({ cafile: pki.path('ca') });
  context.maximumVersion = version;
  return context;
}

const VERSIONS = [
  ['TLS 1.2', TLSVersion.TLSv1_2],
  ['TLS 1.3', TLSVersion.TLSv1_3],
] as const;

test('a context starts with one random 48-byte key; getTicketKeys returns a copy', () => {
  const a = server();
  const keys = a.getTicketKeys();
  assert.is(keys.length, 48);
  assert.not.equal(keys, server().getTicketKeys());
  keys.fill(0);
  assert.not.equal(a.getTicketKeys(), keys);
});

test('setTicketKeys takes one or more 48-byte keys, newest first, and copies them', () => {
  const a = server();
  const ring = randomBytes(48 * 3);
  a.setTicketKeys(ring);
  assert.equal(a.getTicketKeys(), ring);
  const given = Buffer.from(ring);
  a.setTicketKeys(given);
  given.fill(0);
  assert.equal(a.getTicketKeys(), ring);
});

test('a wrong length is a ValueError, a non-buffer a TypeError, neither shows the key', () => {
  const a = server();
  const before = a.getTicketKeys();
  for (const length of [0, 1, 32, 47, 49, 80, 95]) {
    const bad = randomBytes(length);
    const error = throwsA(() => a.setTicketKeys(bad), ValueError, /48 bytes per key/);
    assert.ok(error.message.includes(`got ${length} bytes`), error.message);
    for (const encoding of ['hex', 'base64'] as const) {
      if (length >= 4) assert.not.ok(error.message.includes(bad.toString(encoding).slice(0, 8)));
    }
  }
  throwsA(() => a.setTicketKeys(randomBytes(48 * 65)), ValueError, /at most 64 keys/);
  throwsA(() => a.setTicketKeys('k'.repeat(48) as never), TypeError, /must be a Buffer/);
  throwsA(() => a.setTicketKeys(undefined as never), TypeError);
  assert.equal(a.getTicketKeys(), before, 'a refused ring leaves the old one');
});

for (const [name, version] of VERSIONS) {
  test(`${name}: a session from one server resumes on another with the same keys`, async () => {
    const keys = randomBytes(48);
    const [a, b] = [server(keys), server(keys)];
    const ctx = client(version);
    const first = await resumeInMemory(ctx, a);
    assert.is(first.reused, false);
    assert.ok(first.session);
    assert.is((await resumeInMemory(ctx, b, first.session)).reused, true);
    // Another key: the ticket does not decrypt, a full handshake follows (no error).
    assert.is((await resumeInMemory(ctx, server(), first.session)).reused, false);
  });

  test(`${name}: an older key of the ring still decrypts; the newest encrypts`, async () => {
    const [oldKey, newKey] = [randomBytes(48), randomBytes(48)];
    const ctx = client(version);
    const issued = await resumeInMemory(ctx, server(oldKey));
    const rotated = server(Buffer.concat([newKey, oldKey]));
    const resumed = await resumeInMemory(ctx, rotated, issued.session);
    assert.is(resumed.reused, true, 'the old key decrypts');
    // The session renewed on the rotated server is under the newest key: it resumes where only
    // the newest key is left.
    const onlyNew = server(newKey);
    assert.is((await resumeInMemory(ctx, onlyNew, resumed.session)).reused, true);
    assert.is((await resumeInMemory(ctx, onlyNew, issued.session)).reused, false);
  });

  test(`${name}: setTicketKeys on a live context applies to the next handshakes`, async () => {
    const a = server();
    const ctx = client(version);
    const issued = await resumeInMemory(ctx, a);
    a.setTicketKeys(randomBytes(48));
    assert.is((await resumeInMemory(ctx, a, issued.session)).reused, false);
  });
}

test('one ring, two engines: tickets of a native server resume on a node server and back', async () => {
  if (!engineAvailable('native')) return;
  const ring = randomBytes(96);
  for (const [name, version] of VERSIONS) {
    const [native, node] = [server(ring, 'native'), server(ring, 'node')];
    const ctx = client(version);
    const fromNative = await resumeInMemory(ctx, native);
    assert.is((await resumeInMemory(ctx, node, fromNative.session)).reused, true, name);
    const fromNode = await resumeInMemory(ctx, node);
    assert.is((await resumeInMemory(ctx, native, fromNode.session)).reused, true, name);
  }
});

test('an SNI callback that switches contexts keeps the first context ring, as OpenSSL does', async () => {
  const ring = randomBytes(48);
  const switching = (target: SSLContext) => {
    const context = server(ring);
    context.sniCallback = (sslobj) => {
      sslobj.context = target;
      return null;
    };
    return context;
  };
  // Two servers with one ring, each switching to a virtual host with keys of its own.
  const [a, b] = [switching(server()), switching(server())];
  for (const [name, version] of VERSIONS) {
    const ctx = client(version);
    const first = await resumeInMemory(ctx, a);
    assert.is((await resumeInMemory(ctx, b, first.session)).reused, true, name);
    assert.is((await resumeInMemory(ctx, server(ring), first.session)).reused, true, name);
  }
});

test('sessionIdContext: "rxtls" by default, settable as text or bytes, 1 to 32 bytes', async () => {
  const a = server();
  assert.equal(a.sessionIdContext, Buffer.from('rxtls'));
  a.sessionIdContext = 'orders.example.com';
  assert.equal(a.sessionIdContext, Buffer.from('orders.example.com'));
  a.sessionIdContext = Buffer.from([1, 2, 3]);
  assert.equal(a.sessionIdContext, Buffer.from([1, 2, 3]));
  throwsA(() => {
    a.sessionIdContext = '';
  }, ValueError);
  throwsA(() => {
    a.sessionIdContext = 'x'.repeat(33);
  }, ValueError);
  throwsA(() => {
    a.sessionIdContext = 5 as never;
  }, TypeError);
});

test('TLS 1.2: servers with one session ID context and one key resume; another context refuses', async () => {
  const keys = randomBytes(48);
  const [a, b, other] = [server(keys), server(keys), server(keys)];
  a.sessionIdContext = 'service-a';
  b.sessionIdContext = 'service-a';
  other.sessionIdContext = 'service-b';
  const ctx = client(TLSVersion.TLSv1_2);
  const first = await resumeInMemory(ctx, a);
  assert.is((await resumeInMemory(ctx, b, first.session)).reused, true);
  assert.is((await resumeInMemory(ctx, other, first.session)).reused, false);
});

test.run();
