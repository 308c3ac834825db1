import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type {
  EngineConfig,
  EngineSession,
  TlsEngine,
} from '../../../../src/transport/sansio/engine.js';
import {
  SSLCertVerificationError,
  SSLEOFError,
  SSLError,
  SSLWantReadError,
  SSLWantWriteError,
  SSLZeroReturnError,
  ValueError,
} from '../../../../src/errors/errors.js';
import { ALERT_DESCRIPTION_HANDSHAKE_FAILURE } from '../../../../src/constants/ssl-constants.js';
import { MemoryBIO } from '../../../../src/transport/sansio/memory-bio.js';
import {
  createNativeEngine,
  nativeEngineAvailable,
  nativeLoadError,
} from '../../../../src/transport/engines/native/native-engine.js';
import { connected, flush, handshake, pair, wrapped } from '../../../helpers/native-engine-pair.js';
import { python } from '../../../helpers/python.js';
import { engineConfig, PYTHON_OPTIONS, usePki } from '../../../helpers/pki.js';

/** Python 3.11's default SSLContext options on OpenSSL 3.0 (checked below against python3). */
const TLS1_2 = 0x0303;
const TLS1_3 = 0x0304;
const MiB = 1024 * 1024;

const pki = usePki(test);

function config(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return engineConfig(pki, overrides);
}

function serverConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return config({
    serverSide: true,
    verifyMode: 0,
    checkHostname: false,
    caCerts: [],
    credentials: [{ certChainPem: pki.server.cert, keyPem: pki.server.key }],
    ...overrides,
  });
}

/** Reads everything `engine` can decrypt now. */
function drain(engine: TlsEngine): Buffer {
  const parts: Buffer[] = [];
  for (;;) {
    try {
      const chunk = engine.read(64 * 1024);
      if (chunk.length === 0) break;
      parts.push(chunk);
    } catch (error) {
      if (error instanceof SSLWantReadError) break;
      throw error;
    }
  }
  return Buffer.concat(parts);
}

function throwsFrom(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an exception');
}

const withoutLocation = (text: string) => text.replace(/ \(_ssl\.c:\d+\)$/, '');

if (!nativeEngineAvailable()) {
  console.log(`native engine tests skipped: the addon did not load (${String(nativeLoadError())})`);
  test('the native engine is unavailable, so its tests are skipped', () => {
    assert.is(nativeEngineAvailable(), false);
  });
} else {
  test('the default options used here are Python 3.11 defaults', () => {
    const options = python<number>(
      'import ssl, json; print(json.dumps(int(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).options)))',
    );
    assert.is(options, PYTHON_OPTIONS);
  });

  test('doHandshake queues the ClientHello synchronously and asks for more input', () => {
    const p = pair(config(), serverConfig());
    const error = throwsFrom(() => p.client.doHandshake());
    assert.instance(error, SSLWantReadError);
    assert.ok(p.cOut.pending > 0);
    assert.is(p.cOut.peek(1)[0], 0x16);
    assert.is(p.client.handshakeComplete, false);
    assert.is(p.client.version(), null);
    assert.is(p.client.cipher(), null);
  });

  test('a TLS 1.3 handshake with an EC certificate verifies the server', () => {
    const p = connected(config(), serverConfig());
    assert.is(p.client.version(), 'TLSv1.3');
    assert.is(p.server.version(), 'TLSv1.3');
    const cipher = p.client.cipher();
    assert.is(cipher?.[1], 'TLSv1.3');
    assert.is(cipher?.[2], 256);
    assert.equal(p.client.peerCertificate(), pki.server.der);
    assert.is(p.client.peerVerified, true);
    assert.equal(p.client.verifiedChain(), [pki.server.der, pki.ca.der]);
    assert.equal(p.client.unverifiedChain(), [pki.server.der]);
    assert.is(p.server.peerCertificate(), null);
    assert.is(p.client.sharedCiphers(), null);
    assert.ok((p.server.sharedCiphers()?.length ?? 0) > 0);
    assert.is(p.server.serverName(), 'localhost');
    assert.is(p.client.sessionReused, false);
  });

  test('readAvailable() returns what decrypted before a corrupt record, then the error read() gives for it', () => {
    const outcome = (gather: boolean) => {
      const p = wrapped(connected(config(), serverConfig()));
      p.client.write(Buffer.from('first'));
      p.client.write(Buffer.from('second'));
      const wire = p.cOut.read();
      wire[wire.length - 1] = (wire[wire.length - 1] as number) ^ 0xff; // the last record's tag
      p.sIn.write(wire);
      const got = gather ? p.server.readAvailable(65536) : p.server.read(65536);
      const read = () => (gather ? p.server.readAvailable(65536) : p.server.read(65536));
      const error = throwsFrom(read) as SSLError;
      const again = throwsFrom(read);
      return { got: got.toString(), error, again };
    };
    const gathered = outcome(true);
    const recordByRecord = outcome(false);
    assert.is(gathered.got, 'first');
    assert.is(recordByRecord.got, 'first');
    assert.instance(gathered.error, SSLError);
    assert.is(gathered.error.constructor, recordByRecord.error.constructor);
    assert.is(gathered.error.reason, 'DECRYPTION_FAILED_OR_BAD_RECORD_MAC');
    assert.is(gathered.error.message, (recordByRecord.error as SSLError).message);
    assert.is(gathered.again, gathered.error, 'a fatal error stays');
  });

  test('a TLS 1.2 handshake with an RSA certificate', () => {
    const credentials = [{ certChainPem: pki.serverRsa.cert, keyPem: pki.serverRsa.key }];
    const p = connected(config({ maxVersion: TLS1_2 }), serverConfig({ credentials }));
    assert.is(p.client.version(), 'TLSv1.2');
    assert.equal(p.client.cipher(), ['ECDHE-RSA-AES256-GCM-SHA384', 'TLSv1.2', 256]);
    assert.equal(p.client.peerCertificate(), pki.serverRsa.der);
  });

  test('application data flows both ways and pending() counts buffered plaintext', () => {
    const p = connected(config(), serverConfig());
    assert.is(p.client.write(Buffer.from('hello server')), 12);
    flush(p);
    assert.is(p.server.read(5).toString(), 'hello');
    assert.is(p.server.pending(), 7);
    assert.is(p.server.read(1024).toString(), ' server');
    p.server.write(Buffer.from('hello client'));
    flush(p);
    assert.is(drain(p.client).toString(), 'hello client');
    // Sizes are the SSLObject's to check: the engine trusts its caller.
    const client = wrapped(p).client;
    assert.is(client.read(0).length, 0);
    assert.throws(
      () => client.read(-1),
      (e: unknown) => e instanceof ValueError,
    );
  });

  test('a self-signed server certificate fails verification with code 18 and the server gets the alert', () => {
    const credentials = [{ certChainPem: pki.selfSigned.cert, keyPem: pki.selfSigned.key }];
    const p = handshake(wrapped(pair(config(), serverConfig({ credentials }))));
    const error = p.clientError as SSLCertVerificationError;
    assert.instance(error, SSLCertVerificationError);
    assert.is(error.verifyCode, 18);
    assert.is(error.reason, 'CERTIFICATE_VERIFY_FAILED');
    assert.is(
      error.message,
      '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate',
    );
    // The connection stays failed: later calls throw the same error.
    assert.is(
      throwsFrom(() => p.client.read(1024)),
      error,
    );
    assert.is(
      throwsFrom(() => p.client.doHandshake()),
      error,
    );
    const serverError = p.serverError as SSLError;
    assert.instance(serverError, SSLError);
    assert.is(serverError.reason, 'TLSV1_ALERT_UNKNOWN_CA');
    assert.is(serverError.message, '[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca');
  });

  test('a server chained to a CA the client does not trust fails with code 20', () => {
    const p = handshake(pair(config({ caCerts: [pki.otherCa.der] }), serverConfig()));
    const error = p.clientError as SSLCertVerificationError;
    assert.instance(error, SSLCertVerificationError);
    assert.is(error.verifyCode, 20);
    assert.is(error.verifyMessage, 'unable to get local issuer certificate');
  });

  test('an expired certificate fails with code 10', () => {
    const credentials = [{ certChainPem: pki.expired.cert, keyPem: pki.expired.key }];
    const p = handshake(pair(config(), serverConfig({ credentials })));
    const error = p.clientError as SSLCertVerificationError;
    assert.is(error.verifyCode, 10);
    assert.is(error.verifyMessage, 'certificate has expired');
  });

  test('a hostname mismatch fails with code 62 and Python wording', () => {
    const p = handshake(pair(config(), serverConfig(), 'other.example'));
    const error = p.clientError as SSLCertVerificationError;
    assert.is(error.verifyCode, 62);
    assert.is(
      error.message,
      "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'other.example'.",
    );
  });

  test('an IP address is checked against IP SANs and sent without SNI', () => {
    const ok = connected(config(), serverConfig(), '127.0.0.1');
    assert.is(ok.server.serverName(), null);
    const p = handshake(pair(config(), serverConfig(), '127.0.0.2'));
    const error = p.clientError as SSLCertVerificationError;
    assert.is(error.verifyCode, 64);
    assert.is(
      error.verifyMessage,
      "IP address mismatch, certificate is not valid for '127.0.0.2'.",
    );
  });

  test('CERT_NONE on the client accepts any certificate and getpeercert would be empty', () => {
    const credentials = [{ certChainPem: pki.selfSigned.cert, keyPem: pki.selfSigned.key }];
    const p = connected(
      config({ verifyMode: 0, checkHostname: false }),
      serverConfig({ credentials }),
    );
    assert.equal(p.client.peerCertificate(), pki.selfSigned.der);
    assert.is(p.client.peerVerified, false);
  });

  test('mutual TLS: CERT_REQUIRED servers verify the client certificate', () => {
    const mtls = serverConfig({ verifyMode: 2, caCerts: [pki.ca.der] });
    const clientCredentials = { certChainPem: pki.client.cert, keyPem: pki.client.key };
    const p = connected(config({ credentials: [clientCredentials] }), mtls);
    assert.equal(p.server.peerCertificate(), pki.client.der);
    assert.is(p.server.peerVerified, true);
    // The client sends its CA too (OpenSSL builds the chain from its trust store).
    assert.equal(p.server.unverifiedChain(), [pki.client.der, pki.ca.der]);
    assert.equal(p.server.verifiedChain(), [pki.client.der, pki.ca.der]);

    const anonymous = handshake(pair(config({ maxVersion: TLS1_2 }), mtls));
    const error = anonymous.serverError as SSLError;
    assert.is(error.reason, 'PEER_DID_NOT_RETURN_A_CERTIFICATE');
  });

  test('ALPN: the server picks by its own preference', () => {
    const p = connected(
      config({ alpnProtocols: ['http/1.1', 'h2'] }),
      serverConfig({ alpnProtocols: ['h2', 'http/1.1'] }),
    );
    assert.is(p.client.selectedAlpnProtocol(), 'h2');
    assert.is(p.server.selectedAlpnProtocol(), 'h2');
    const none = connected(
      config({ alpnProtocols: ['x'] }),
      serverConfig({ alpnProtocols: ['h2'] }),
    );
    assert.is(none.client.selectedAlpnProtocol(), null);
  });

  test('the SNI hook sees the name and can switch to another configuration', () => {
    const sniConfig = serverConfig({
      credentials: [{ certChainPem: pki.alt.cert, keyPem: pki.alt.key }],
    });
    const seen: (string | null)[] = [];
    const srv = serverConfig({
      sni: (_engine, name) => {
        seen.push(name);
        return name === 'alt.test' ? { kind: 'switch', config: sniConfig } : { kind: 'continue' };
      },
    });
    const p = connected(config(), srv, 'alt.test');
    assert.equal(seen, ['alt.test']);
    assert.equal(p.client.peerCertificate(), pki.alt.der);
    const q = connected(config(), srv, 'localhost');
    assert.equal(q.client.peerCertificate(), pki.server.der);
  });

  test("the SNI hook can abort with an alert, and a failed callback's cause is chained", () => {
    const alerting = serverConfig({ sni: () => ({ kind: 'alert', alert: 112 }) });
    const p = handshake(pair(config(), alerting));
    assert.is((p.clientError as SSLError).reason, 'TLSV1_UNRECOGNIZED_NAME');
    // SSLContext turns a throwing callback into this decision (see the contract suite).
    const boom = new Error('boom');
    const throwing = serverConfig({
      sni: () => ({ kind: 'alert', alert: ALERT_DESCRIPTION_HANDSHAKE_FAILURE, cause: boom }),
    });
    const q = handshake(pair(config(), throwing));
    assert.is((q.clientError as SSLError).reason, 'SSLV3_ALERT_HANDSHAKE_FAILURE');
    assert.is((q.serverError as SSLError).cause, boom);
  });

  test('destroying an engine from its own SNI hook neither crashes nor continues', () => {
    const p = pair(
      config(),
      serverConfig({
        sni: (engine) => {
          engine.destroy();
          return { kind: 'continue' };
        },
      }),
    );
    assert.instance(
      throwsFrom(() => p.client.doHandshake()),
      SSLWantReadError,
    );
    flush(p);
    // The hook's engine is gone: the handshake call fails cleanly and nothing runs afterwards.
    const error = throwsFrom(() => p.server.doHandshake());
    assert.ok(error instanceof SSLError || error instanceof ValueError);
    assert.throws(
      () => p.server.read(1024),
      (e: unknown) => e instanceof ValueError,
    );
    p.server.destroy();
  });

  test('close_notify: read() is empty until ours is sent, then SSLZeroReturnError', () => {
    const p = connected(config(), serverConfig());
    assert.instance(
      throwsFrom(() => p.client.shutdown()),
      SSLWantReadError,
    );
    flush(p);
    assert.is(p.server.read(1024).length, 0);
    assert.is(p.server.read(1024).length, 0);
    p.server.shutdown();
    assert.instance(
      throwsFrom(() => p.server.read(1024)),
      SSLZeroReturnError,
    );
    const write = throwsFrom(() => p.server.write(Buffer.from('x'))) as SSLError;
    assert.is(write.message, '[SSL: PROTOCOL_IS_SHUTDOWN] protocol is shutdown');
    flush(p);
    p.client.shutdown();
    assert.instance(
      throwsFrom(() => p.client.read(1024)),
      SSLZeroReturnError,
    );
  });

  test('bytes after the close_notify stay in the incoming BIO (STARTTLS downgrade)', () => {
    const p = connected(config(), serverConfig());
    assert.instance(
      throwsFrom(() => p.client.shutdown()),
      SSLWantReadError,
    );
    p.sIn.write(p.cOut.read());
    p.sIn.write(Buffer.from('PLAIN'));
    assert.is(p.server.read(1024).length, 0);
    assert.is(p.sIn.pending, 5);
    p.server.shutdown();
    assert.is(p.sIn.read().toString(), 'PLAIN');
  });

  test('EOF without close_notify is an SSLEOFError', () => {
    const p = connected(config(), serverConfig());
    p.sIn.writeEof();
    const error = throwsFrom(() => p.server.read(1024)) as SSLEOFError;
    assert.instance(error, SSLEOFError);
    assert.is(error.reason, 'UNEXPECTED_EOF_WHILE_READING');
    assert.is(
      error.message,
      '[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol',
    );
    const q = pair(config(), serverConfig());
    q.cIn.writeEof();
    assert.instance(
      throwsFrom(() => q.client.doHandshake()),
      SSLEOFError,
    );
  });

  test('garbage instead of a ClientHello fails as it does in Python', () => {
    const inputs = ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', '\x16\x03\x01\x00\x05hello'];
    const expected = python<[string, string | null, number][]>(
      `
import ssl, json, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1] if len(sys.argv) > 1 else json.load(sys.stdin)['cert'])
`.replace(
        /ctx\.load_cert_chain[^\n]*/,
        `data = json.load(sys.stdin)
ctx.load_cert_chain(data['cert'], data['key'])
out = []
for text in data['inputs']:
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = ctx.wrap_bio(i, o, server_side=True)
    i.write(text.encode('latin-1'))
    try:
        s.do_handshake()
    except ssl.SSLError as e:
        out.append([str(e), e.reason, o.pending])
print(json.dumps(out))`,
      ),
      { cert: pki.path('server'), key: pki.path('server-key'), inputs },
    );
    for (const [index, text] of inputs.entries()) {
      const p = pair(config(), serverConfig());
      p.sIn.write(Buffer.from(text, 'latin1'));
      const error = throwsFrom(() => p.server.doHandshake()) as SSLError;
      const [message, reason, alertBytes] = expected[index] ?? ['', null, 0];
      assert.is(error.message, withoutLocation(message));
      assert.is(error.reason, reason);
      assert.is(p.sOut.pending, alertBytes);
    }
  });

  test('16 MiB cross intact in both directions', () => {
    const p = connected(config(), serverConfig());
    const payload = randomBytes(16 * MiB);
    const received: Buffer[] = [];
    let offset = 0;
    for (let guard = 0; guard < 10_000 && offset < payload.length; guard++) {
      const n = Math.min(256 * 1024, payload.length - offset);
      offset += p.client.write(payload.subarray(offset, offset + n));
      flush(p);
      received.push(drain(p.server));
    }
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.is(digest(Buffer.concat(received)), digest(payload));
    // The other way, written into the incoming BIO at once: the engine feeds OpenSSL in slices.
    for (let sent = 0; sent < payload.length; sent += MiB) {
      p.server.write(payload.subarray(sent, sent + MiB));
    }
    flush(p);
    assert.is(digest(drain(p.client)), digest(payload));
  });

  test('writing into a full outgoing BIO throws SSLWantWriteError and consumes nothing', () => {
    const cIn = new MemoryBIO();
    const cOut = new MemoryBIO({ highWaterMark: 10 });
    const sIn = new MemoryBIO();
    const sOut = new MemoryBIO();
    const client = createNativeEngine(
      config(),
      { serverSide: false, serverHostname: 'localhost', session: null },
      cIn,
      cOut,
    );
    const server = createNativeEngine(
      serverConfig(),
      { serverSide: true, serverHostname: null, session: null },
      sIn,
      sOut,
    );
    handshake({ client, server, cIn, cOut, sIn, sOut });
    cOut.write(Buffer.alloc(10));
    assert.instance(
      throwsFrom(() => client.write(Buffer.from('x'))),
      SSLWantWriteError,
    );
    cOut.read();
    assert.is(client.write(Buffer.from('x')), 1);
  });

  for (const [name, version] of [
    ['TLS 1.2', TLS1_2],
    ['TLS 1.3', TLS1_3],
  ] as const) {
    test(`${name} sessions resume across engines made from one context`, () => {
      const clientConfig = config({ maxVersion: version });
      const srv = serverConfig();
      const first = connected(clientConfig, srv);
      first.server.write(Buffer.from('ticket please'));
      flush(first);
      assert.is(drain(first.client).toString(), 'ticket please');
      const session = first.client.session();
      assert.ok(session !== null);
      assert.ok(session.hasTicket);
      assert.ok(session.timeout > 0);
      const second = handshake(pair(clientConfig, srv, 'localhost', session));
      assert.is(second.clientError, undefined);
      assert.is(second.client.sessionReused, true);
      assert.is(second.server.sessionReused, true);
      // A config with the same ticket keys (a changed SSLContext) resumes too.
      const changed = serverConfig({ ticketKeys: srv.ticketKeys, numTickets: 1 });
      const third = handshake(pair(clientConfig, changed, 'localhost', first.client.session()));
      assert.is(third.client.sessionReused, true);
    });
  }

  test('tls-unique and exported keying material agree on both sides', () => {
    for (const maxVersion of [TLS1_2, TLS1_3]) {
      const p = connected(config({ maxVersion }), serverConfig());
      const unique = p.client.channelBinding('tls-unique');
      assert.ok(unique !== null && unique.length > 0);
      assert.equal(p.server.channelBinding('tls-unique'), unique);
      const context = Buffer.from('ctx');
      const a = p.client.exportKeyingMaterial(32, 'EXPORTER-test', context);
      assert.equal(p.server.exportKeyingMaterial(32, 'EXPORTER-test', context), a);
      assert.not.equal(p.server.exportKeyingMaterial(32, 'EXPORTER-test'), a);
    }
  });

  test('the keylog hook receives NSS key log lines', () => {
    const lines: string[] = [];
    connected(config({ keylog: (line) => lines.push(line) }), serverConfig());
    assert.ok(lines.some((line) => line.startsWith('CLIENT_HANDSHAKE_TRAFFIC_SECRET ')));
  });

  test('pre-shared keys: TLS 1.3 and TLS 1.2 PSK handshakes without certificates', () => {
    const key = randomBytes(32);
    const identities: (string | null)[] = [];
    for (const [maxVersion, ciphers] of [
      [TLS1_3, undefined],
      [TLS1_2, 'PSK'],
    ] as const) {
      const client = config({
        maxVersion,
        ciphers,
        verifyMode: 0,
        checkHostname: false,
        pskClient: () => ['alice', key],
      });
      const srv = serverConfig({
        maxVersion,
        ciphers,
        credentials: [],
        pskIdentityHint: 'hint',
        pskServer: (identity) => {
          identities.push(identity);
          return identity === 'alice' ? key : new Uint8Array(0);
        },
      });
      const p = connected(client, srv);
      assert.is(p.client.peerCertificate(), null);
      assert.is(p.server.version(), maxVersion === TLS1_3 ? 'TLSv1.3' : 'TLSv1.2');
    }
    assert.equal(identities, ['alice', 'alice']);
  });

  test('a wrong key password and a mismatched key fail as Python reports them', () => {
    const encrypted = pki.path('server-enc-key');
    const cases: [string, string | null][] = [
      [encrypted, 'wrong'],
      [encrypted, 'secret'],
      [pki.path('alt-key'), null],
      [pki.path('serverRsa-key'), null],
    ];
    const expected = python<string[]>(
      `
import ssl, json, sys
d = json.load(sys.stdin)
out = []
for key, pw in d['cases']:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(d['cert'], key, pw)
        out.append('ok')
    except ssl.SSLError as e:
        out.append(str(e))
print(json.dumps(out))`,
      { cert: pki.path('server'), cases },
    );
    for (const [index, [keyFile, passphrase]] of cases.entries()) {
      const credentials = {
        certChainPem: pki.server.cert,
        keyPem: readFileSync(keyFile, 'utf8'),
        passphrase: passphrase ?? undefined,
      };
      let got = 'ok';
      try {
        pair(config(), serverConfig({ credentials: [credentials] }));
      } catch (error) {
        assert.instance(error, SSLError);
        got = (error as SSLError).message;
      }
      assert.is(got, withoutLocation(expected[index] ?? ''));
    }
  });

  test('a cipher string that selects nothing is Python\'s "No cipher can be selected."', () => {
    const error = throwsFrom(() => pair(config({ ciphers: 'NOPE' }), serverConfig())) as SSLError;
    assert.instance(error, SSLError);
    assert.is(error.message, 'No cipher can be selected.');
  });

  test('destroy() frees at once; later calls throw; it is idempotent', () => {
    const p = connected(config(), serverConfig());
    p.client.destroy();
    p.client.destroy();
    assert.throws(
      () => p.client.read(1024),
      (e: unknown) => e instanceof ValueError,
    );
    assert.throws(
      () => p.client.cipher(),
      (e: unknown) => e instanceof ValueError,
    );
    assert.throws(
      () => p.client.write(Buffer.from('x')),
      (e: unknown) => e instanceof ValueError,
    );
  });

  test('a foreign session is a ValueError (the context checks the server hostname)', () => {
    const foreign: EngineSession = {
      id: Buffer.alloc(0),
      time: 0,
      timeout: 0,
      ticketLifetimeHint: 0,
      hasTicket: false,
    };
    assert.throws(
      () => pair(config(), serverConfig(), 'localhost', foreign),
      (e: unknown) => e instanceof ValueError,
    );
  });
}

test.run();
