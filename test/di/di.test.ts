import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  type DependencyContainer,
  type InjectionToken,
  inject,
  injectable,
  container as rootContainer,
} from 'tsyringe';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createContainer, registerDefaults } from '../../src/di/container.js';
import { ContextFactory } from '../../src/di/context-factory.js';
import {
  MOZILLA_INTERMEDIATE_CIPHERS,
  MOZILLA_OLD_CIPHERS,
  MozillaIntermediate,
  MozillaModern,
  MozillaOld,
} from '../../src/context/policies/mozilla.js';
import { MutualTls } from '../../src/context/policies/mutual-tls.js';
import {
  checkPin,
  PinnedPublicKey,
  publicKeyPin,
} from '../../src/context/policies/pinned-public-key.js';
import { SSLContext } from '../../src/context/ssl-context.js';
import {
  CLIENT_CONTEXT,
  CLIENT_POLICY,
  CONTEXT_OPTIONS,
  SERVER_CONTEXT,
  SERVER_POLICY,
} from '../../src/di/tokens.js';
import { combinePolicies, PythonDefaults, type TlsPolicy } from '../../src/context/tls-policy.js';
import {
  CERT_NONE,
  CERT_REQUIRED,
  OP_CIPHER_SERVER_PREFERENCE,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  TLSVersion,
} from '../../src/constants/ssl-constants.js';
import { SSLCertVerificationError, SSLError, ValueError } from '../../src/errors/errors.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import type { ReadinessType, SSLObject } from '../../src/transport/sansio/ssl-object.js';
import { throwsA } from '../helpers/assert-error.js';
import { usePki } from '../helpers/pki.js';
import { handshake, send } from '../helpers/pump.js';
import { python } from '../helpers/python.js';

const pki = usePki(test);

/** A fresh container with the defaults, the test PKI's server certificate and CA. */
function testContainer(options: Parameters<typeof registerDefaults>[1] = {}): DependencyContainer {
  return registerDefaults(createContainer(), {
    certificate: { certfile: pki.path('server'), keyfile: pki.path('server-key') },
    trust: { cafile: pki.path('ca') },
    ...options,
  });
}

function pair(client: SSLContext, server: SSLContext): { c: SSLObject; s: SSLObject } {
  return {
    c: client.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverHostname: 'localhost' }),
    s: server.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true }),
  };
}

async function handshakeFailure(c: SSLObject, s: SSLObject): Promise<SSLError> {
  try {
    await handshake(c, s);
  } catch (error) {
    assert.instance(error, SSLError, String(error));
    return error as SSLError;
  }
  throw new Error('the handshake unexpectedly succeeded');
}

/** A client that speaks TLS 1.2 and nothing newer (its own context: CLIENT_CONTEXT is shared). */
function tls12Client(container: DependencyContainer): SSLContext {
  const client = container.resolve(ContextFactory).client();
  client.maximumVersion = TLSVersion.TLSv1_2;
  return client;
}

const TLS13_SUITES = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
];

test('importing the DI layer registers nothing on tsyringe’s global container', () => {
  const tokens: InjectionToken<unknown>[] = [
    SERVER_CONTEXT,
    CLIENT_CONTEXT,
    SERVER_POLICY,
    CLIENT_POLICY,
    CONTEXT_OPTIONS,
    ContextFactory,
  ];
  for (const token of tokens) {
    assert.not.ok(rootContainer.isRegistered(token, true), String(token));
  }
  throwsA(() => registerDefaults(rootContainer), ValueError, /createContainer\(\)/);
  const child = testContainer();
  assert.ok(child.isRegistered(SERVER_CONTEXT));
  assert.not.ok(rootContainer.isRegistered(SERVER_CONTEXT, true));
});

test('the default server context is PROTOCOL_TLS_SERVER under Mozilla Intermediate, one per container', () => {
  const container = testContainer();
  const server = container.resolve(SERVER_CONTEXT);
  assert.is(server.protocol, PROTOCOL_TLS_SERVER);
  assert.is(server.minimumVersion, TLSVersion.TLSv1_2);
  assert.is(container.resolve(SERVER_POLICY).name, 'mozilla-intermediate');
  assert.is(container.resolve(SERVER_CONTEXT), server, 'cached in its container');
  assert.is.not(testContainer().resolve(SERVER_CONTEXT), server, 'never shared across containers');
  const client = container.resolve(CLIENT_CONTEXT);
  assert.is(client.protocol, PROTOCOL_TLS_CLIENT);
  assert.is(client.verifyMode, CERT_REQUIRED);
  assert.ok(client.checkHostname);
  assert.is(client.certStoreStats().x509_ca, 1, 'trusts the configured CA only');
  assert.is(container.resolve(CLIENT_POLICY).name, 'python-defaults');
});

test('swapping MozillaIntermediate for MozillaModern is one registration and refuses TLS 1.2 clients', async () => {
  const intermediate = testContainer();
  const accepted = pair(tls12Client(intermediate), intermediate.resolve(SERVER_CONTEXT));
  await handshake(accepted.c, accepted.s);
  assert.is(accepted.s.version(), 'TLSv1.2');
  const cipher = accepted.s.cipher()?.[0] ?? '';
  assert.ok(MOZILLA_INTERMEDIATE_CIPHERS.split(':').includes(cipher), cipher);
  const echoed = await send(accepted.c, accepted.s, Buffer.from('over TLS 1.2'));
  assert.is(echoed.toString(), 'over TLS 1.2');

  const modern = testContainer();
  modern.register(SERVER_POLICY, { useClass: MozillaModern });
  assert.is(modern.resolve(SERVER_CONTEXT).minimumVersion, TLSVersion.TLSv1_3);
  const refused = pair(tls12Client(modern), modern.resolve(SERVER_CONTEXT));
  const error = await handshakeFailure(refused.c, refused.s);
  assert.match(error.message, /UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION/);

  const modernClient = pair(modern.resolve(CLIENT_CONTEXT), modern.resolve(SERVER_CONTEXT));
  await handshake(modernClient.c, modernClient.s);
  assert.is(modernClient.c.version(), 'TLSv1.3');
});

test('each Mozilla profile sets its versions, ciphers and cipher preference; the lists equal Python’s', () => {
  const expectations: [TlsPolicy, TLSVersion, string[], boolean][] = [
    [new MozillaModern(), TLSVersion.TLSv1_3, TLS13_SUITES, false],
    [
      new MozillaIntermediate(),
      TLSVersion.TLSv1_2,
      [...TLS13_SUITES, ...MOZILLA_INTERMEDIATE_CIPHERS.split(':')],
      false,
    ],
    // 3DES is compiled out of Node's (and Python's) OpenSSL 3, which skips unknown suites.
    [
      new MozillaOld(),
      TLSVersion.TLSv1,
      [
        ...TLS13_SUITES,
        ...MOZILLA_OLD_CIPHERS.split(':').filter((name) => name !== 'DES-CBC3-SHA'),
      ],
      true,
    ],
  ];
  const py = python<Record<string, string[]>>(
    `
import json, ssl, sys
out = {}
for name, ciphers in json.load(sys.stdin).items():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.set_ciphers(ciphers)
    out[name] = [x['name'] for x in c.get_ciphers()]
print(json.dumps(out))`,
    {
      'mozilla-intermediate': MOZILLA_INTERMEDIATE_CIPHERS,
      'mozilla-old': `${MOZILLA_OLD_CIPHERS}:@SECLEVEL=0`,
    },
  );
  for (const [policy, minimum, names, serverPreference] of expectations) {
    for (const protocol of [PROTOCOL_TLS_SERVER, PROTOCOL_TLS_CLIENT]) {
      const ctx = new SSLContext(protocol);
      policy.apply(ctx);
      assert.is(ctx.minimumVersion, minimum, policy.name);
      assert.is(ctx.maximumVersion, TLSVersion.TLSv1_3, policy.name);
      const ours = ctx.getCiphers().map((cipher) => cipher.name);
      assert.equal(ours, names, policy.name);
      const pythonNames = py[policy.name];
      if (pythonNames) assert.equal(ours, pythonNames, `${policy.name} against Python`);
      assert.is((ctx.options & OP_CIPHER_SERVER_PREFERENCE) !== 0, serverPreference, policy.name);
    }
  }
});

test('MozillaOld serves TLS 1.0 clients that MozillaIntermediate refuses', async () => {
  const old = testContainer({ serverPolicy: new MozillaOld(), clientPolicy: new MozillaOld() });
  const client = old.resolve(ContextFactory).client();
  client.maximumVersion = TLSVersion.TLSv1;
  const accepted = pair(client, old.resolve(SERVER_CONTEXT));
  await handshake(accepted.c, accepted.s);
  assert.is(accepted.c.version(), 'TLSv1');

  const intermediate = testContainer({ clientPolicy: new MozillaOld() });
  const oldClient = intermediate.resolve(ContextFactory).client();
  oldClient.maximumVersion = TLSVersion.TLSv1;
  const refused = pair(oldClient, intermediate.resolve(SERVER_CONTEXT));
  await handshakeFailure(refused.c, refused.s);
});

test('MutualTls servers refuse a client without a certificate and accept one with', async () => {
  const mtls = new MutualTls({
    ca: { cafile: pki.path('ca') },
    certificate: { certfile: pki.path('client'), keyfile: pki.path('client-key') },
  });
  const container = testContainer({
    serverPolicy: combinePolicies(new MozillaIntermediate(), mtls),
  });
  const server = container.resolve(SERVER_CONTEXT);
  assert.is(server.verifyMode, CERT_REQUIRED);
  assert.is(container.resolve(SERVER_POLICY).name, 'mozilla-intermediate+mutual-tls');

  const anonymous = pair(container.resolve(CLIENT_CONTEXT), server);
  const error = await handshakeFailure(anonymous.c, anonymous.s);
  assert.is(error.reason, 'PEER_DID_NOT_RETURN_A_CERTIFICATE');

  container.register(CLIENT_POLICY, { useValue: mtls });
  const clientFactory = container.resolve(ContextFactory);
  const authenticated = pair(clientFactory.client(), server);
  await handshake(authenticated.c, authenticated.s);
  const peer = authenticated.s.getpeercert() as { subject: [string, string][][] };
  assert.equal(peer.subject, [[['commonName', 'client']]]);
});

test('MutualTls needs a CA, and a certificate on clients', () => {
  throwsA(() => new MutualTls({ ca: {} }), ValueError, /ca.cafile, ca.capath or ca.cadata/);
  throwsA(() => new MutualTls(null as never), TypeError, /options.ca must be/);
  const serverOnly = new MutualTls({ ca: { cadata: readFileSync(pki.path('ca'), 'latin1') } });
  throwsA(
    () => serverOnly.apply(new SSLContext(PROTOCOL_TLS_CLIENT)),
    ValueError,
    'MutualTls on a client context needs options.certificate',
  );
  const client = new SSLContext(PROTOCOL_TLS_CLIENT);
  new MutualTls({
    ca: { cafile: pki.path('ca') },
    certificate: { cert: pki.client.cert, key: pki.client.key },
  }).apply(client);
  assert.is(client.certStoreStats().x509_ca, 1);
});

test('publicKeyPin is the base64 SHA-256 of the SubjectPublicKeyInfo, as the openssl pipeline prints it', () => {
  for (const name of ['server', 'serverRsa', 'client']) {
    const spki = execFileSync('openssl', ['x509', '-in', pki.path(name), '-noout', '-pubkey']);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: spki });
    const expected = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der });
    assert.is(publicKeyPin(readFileSync(pki.path(name), 'latin1')), expected.toString('base64'));
  }
  throwsA(() => publicKeyPin(42 as never), TypeError, /cert must be PEM text or DER bytes/);
});

test('PinnedPublicKey accepts the pinned server and rejects another key with a clear error', async () => {
  const rightPin = publicKeyPin(pki.server.cert);
  const otherPin = publicKeyPin(pki.serverRsa.cert);
  const pinned = testContainer({
    clientPolicy: new PinnedPublicKey([otherPin, `sha256/${rightPin}`]),
  });
  const ok = pair(pinned.resolve(CLIENT_CONTEXT), pinned.resolve(SERVER_CONTEXT));
  await handshake(ok.c, ok.s);
  assert.ok(ok.c.handshakeComplete);
  assert.is((await send(ok.c, ok.s, Buffer.from('pinned'))).toString(), 'pinned');

  const wrong = testContainer({ clientPolicy: new PinnedPublicKey([otherPin]) });
  const client = wrong.resolve(CLIENT_CONTEXT);
  assert.is(client.verifyMode, CERT_REQUIRED);
  const refused = pair(client, wrong.resolve(SERVER_CONTEXT));
  const events: ReadinessType[] = [];
  refused.c.readiness$.subscribe((event) => events.push(event.type));
  const error = await handshakeFailure(refused.c, refused.s);
  assert.instance(error, SSLCertVerificationError);
  const verification = error as SSLCertVerificationError;
  assert.is(verification.verifyMessage, 'certificate pin mismatch');
  assert.is(verification.verifyCode, 50);
  assert.is(verification.reason, 'CERTIFICATE_VERIFY_FAILED');
  assert.is(
    error.message,
    `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate pin mismatch (the peer's key sha256/${rightPin} is not the pinned key)`,
  );
  assert.ok(events.includes('error') && events.includes('closed'), events.join());
  assert.not.ok(events.includes('handshake-complete'), 'a rejected peer is never announced');
  assert.not.ok(refused.c.handshakeComplete);
  assert.is(
    throwsA(() => refused.c.read(), SSLCertVerificationError),
    error,
  );
  assert.is(
    throwsA(() => refused.c.doHandshake(), SSLCertVerificationError),
    error,
  );
  assert.ok(refused.c.getpeercert(true), 'the rejected certificate stays inspectable');
});

test('PinnedPublicKey validates its pins; checkPin reports a peer without a certificate', async () => {
  throwsA(() => new PinnedPublicKey([]), ValueError, 'PinnedPublicKey needs at least one pin');
  throwsA(() => new PinnedPublicKey(['abc']), ValueError, /'abc' is not a SHA-256 public key pin/);
  throwsA(() => new PinnedPublicKey('x' as never), TypeError, /pins must be/);
  throwsA(() => new PinnedPublicKey([7 as never]), TypeError, /pin must be a base64 string/);
  const pin = publicKeyPin(pki.client.cert);
  assert.equal(new PinnedPublicKey([`sha256/${pin}`, pin]).pins, [pin]);

  const container = testContainer();
  const { c, s } = pair(container.resolve(CLIENT_CONTEXT), container.resolve(SERVER_CONTEXT));
  await handshake(c, s);
  throwsA(
    () => checkPin(s, new Set([pin])),
    SSLCertVerificationError,
    /the peer sent no certificate/,
  );
  checkPin(c, new Set([publicKeyPin(pki.server.cert)]));
});

test('peer checks: other errors become SSLCertVerificationError, SSLErrors pass, later checks spare existing objects', async () => {
  const container = testContainer();
  const server = container.resolve(SERVER_CONTEXT);
  const client = container.resolve(ContextFactory).client();
  throwsA(() => client.addPeerCheck('no' as never), TypeError, 'not a callable object');
  const before = pair(client, server);
  client.addPeerCheck(() => {
    throw new Error('tenant not allowed');
  });
  await handshake(before.c, before.s);

  const failing = pair(client, server);
  const error = (await handshakeFailure(failing.c, failing.s)) as SSLCertVerificationError;
  assert.instance(error, SSLCertVerificationError);
  assert.is(error.verifyMessage, 'tenant not allowed');
  assert.is(
    error.message,
    '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: tenant not allowed',
  );

  const custom = new SSLError('custom refusal', { reason: 'CUSTOM' });
  const other = container.resolve(ContextFactory).client();
  other.addPeerCheck(() => {
    throw custom;
  });
  const refused = pair(other, server);
  assert.is(await handshakeFailure(refused.c, refused.s), custom);
});

test('a class asking for @inject(SERVER_CONTEXT) resolves with the container’s context', () => {
  @injectable()
  class EchoService {
    constructor(
      @inject(SERVER_CONTEXT) readonly context: SSLContext,
      @inject(CLIENT_CONTEXT) readonly upstream: SSLContext,
    ) {}
  }
  const container = testContainer({ serverPolicy: new MozillaModern() });
  const service = container.resolve(EchoService);
  assert.is(service.context, container.resolve(SERVER_CONTEXT));
  assert.is(service.context.minimumVersion, TLSVersion.TLSv1_3);
  assert.is(service.upstream.protocol, PROTOCOL_TLS_CLIENT);
});

test('ContextFactory works without a container and takes a policy per call', () => {
  const factory = new ContextFactory();
  const server = factory.server();
  assert.is(server.protocol, PROTOCOL_TLS_SERVER);
  assert.is(server.minimumVersion, TLSVersion.TLSv1_2);
  assert.is(server.verifyMode, CERT_NONE);
  assert.is(factory.server(new MozillaModern()).minimumVersion, TLSVersion.TLSv1_3);
  const client = factory.client(new MozillaOld());
  assert.is(client.protocol, PROTOCOL_TLS_CLIENT);
  assert.is(client.minimumVersion, TLSVersion.TLSv1);

  const onNode = new ContextFactory(new PythonDefaults(), new PythonDefaults(), {
    engine: 'node',
    certificate: { cert: pki.server.cert, key: pki.server.key },
  });
  assert.is(onNode.server().engine, 'node');
  assert.is(onNode.client().engine, 'node');
  assert.is(onNode.server().minimumVersion, TLSVersion.TLSv1_2);
  assert.is(combinePolicies().name, 'python-defaults');
});

test.run();
