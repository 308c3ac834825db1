/**
 * An rxtls SSLObject client (node engine) against real servers over TCP on 127.0.0.1:
 * `openssl s_server` (TLS 1.2 and 1.3, mTLS, ALPN, an untrusted certificate) and a Python `ssl`
 * server. Every exchange is asserted on both ends: what rxtls reads and what the peer printed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../src/context/ssl-context.js';
import { PROTOCOL_TLS_CLIENT } from '../../src/constants/ssl-constants.js';
import { SSLCertVerificationError } from '../../src/errors/errors.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import type { SSLObject } from '../../src/transport/sansio/ssl-object.js';
import {
  type OpensslServerOptions,
  Peers,
  pythonResult,
  startOpensslServer,
  startPythonServer,
} from '../helpers/peers.js';
import { usePki } from '../helpers/pki.js';
import { connectDriver, type SocketDriver } from '../helpers/socket-driver.js';

const test = suite('rxtls client against real servers');
const peers = new Peers();
const drivers: SocketDriver[] = [];

test.after(async () => {
  await Promise.all(drivers.map((driver) => driver.end()));
  await peers.stopAll();
});
const pki = usePki(test);

function clientContext(options: { clientCert?: boolean; alpn?: string[] } = {}): SSLContext {
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT, { engine: 'node' });
  ctx.loadVerifyLocations({ cafile: pki.path('ca') });
  if (options.clientCert) ctx.loadCertChain(pki.path('client'), pki.path('client-key'));
  if (options.alpn) ctx.setAlpnProtocols(options.alpn);
  return ctx;
}

async function connect(port: number, ctx: SSLContext): Promise<SocketDriver> {
  const sslobj: SSLObject = ctx.wrapBio(new MemoryBIO(), new MemoryBIO(), {
    serverHostname: 'localhost',
  });
  const driver = await connectDriver(port, sslobj);
  drivers.push(driver);
  return driver;
}

function opensslServer(options: Partial<OpensslServerOptions> = {}) {
  return startOpensslServer(peers, {
    cert: pki.path('server'),
    key: pki.path('server-key'),
    ...options,
  });
}

/** A line each way through an interactive s_server, then close_notify both ways. */
async function converse(driver: SocketDriver, server: Awaited<ReturnType<typeof opensslServer>>) {
  await driver.writeAll(Buffer.from('hello from rxtls\n'));
  await server.waitFor(/^hello from rxtls$/m, 'stdout');
  server.send('hello from openssl\n');
  const reply = await driver.readUntil((received) => received.includes(0x0a));
  assert.is(reply.toString(), 'hello from openssl\n');
  assert.is(await driver.close(), 'close_notify');
  await server.waitFor(/^DONE$/m, 'stdout');
  assert.is((await server.finished()).code, 0, server.output);
}

for (const version of ['1.2', '1.3'] as const) {
  test(`completes a TLS ${version} handshake with openssl s_server and exchanges data both ways`, async () => {
    const server = await opensslServer({ version });
    const driver = await connect(server.port, clientContext());
    await driver.driveHandshake();
    const { sslobj } = driver;
    assert.is(sslobj.version(), `TLSv${version}`);
    const cipher = sslobj.cipher();
    assert.ok(cipher);
    // s_server names the cipher it chose: the same one rxtls reports.
    await server.waitFor(new RegExp(`^CIPHER is ${cipher[0]}$`, 'm'), 'stdout');
    const peerCert = sslobj.getpeercert() as { subject: [string, string][][] };
    assert.equal(peerCert.subject, [[['commonName', 'localhost']]]);
    await converse(driver, server);
  });
}

test('completes a handshake with a Python ssl server and exchanges data both ways', async () => {
  for (const maxVersion of ['TLSv1_2', 'TLSv1_3'] as const) {
    const server = await startPythonServer(peers, {
      cert: pki.path('server'),
      key: pki.path('server-key'),
      maxVersion,
    });
    const driver = await connect(server.port, clientContext());
    await driver.driveHandshake();
    await driver.writeAll(Buffer.from('ping\n'));
    const reply = await driver.readUntil((received) => received.includes(0x0a));
    assert.is(reply.toString(), 'python got: ping\n');
    assert.is(await driver.close(), 'close_notify');
    const result = await pythonResult(server);
    assert.ok(result.ok, JSON.stringify(result));
    assert.is(result.received, 'ping\n');
    assert.is(result.version, driver.sslobj.version());
    assert.is(result.version, maxVersion.replace('_', '.'));
    assert.is(result.cipher, driver.sslobj.cipher()?.[0]);
    assert.is(result.unwrap, 'ok');
  }
});

test('presents a client certificate to openssl s_server -Verify 1 (mTLS)', async () => {
  const server = await opensslServer({ cafile: pki.path('ca'), verify: 'required' });
  const driver = await connect(server.port, clientContext({ clientCert: true }));
  await driver.driveHandshake();
  // s_server prints the client certificate it verified.
  await server.waitFor(/^subject=CN ?= ?client$/m, 'stdout');
  await converse(driver, server);
});

test('presents a client certificate to a Python server requiring one (mTLS)', async () => {
  const server = await startPythonServer(peers, {
    cert: pki.path('server'),
    key: pki.path('server-key'),
    cafile: pki.path('ca'),
  });
  const driver = await connect(server.port, clientContext({ clientCert: true }));
  await driver.driveHandshake();
  await driver.writeAll(Buffer.from('mtls\n'));
  assert.is((await driver.readUntil(16)).toString(), 'python got: mtls');
  await driver.close();
  const result = await pythonResult(server);
  assert.ok(result.ok, JSON.stringify(result));
  assert.is(result.peerCommonName, 'client');
});

test('is refused by openssl s_server -Verify 1 without a client certificate', async () => {
  const server = await opensslServer({ cafile: pki.path('ca'), verify: 'required' });
  const driver = await connect(server.port, clientContext());
  let failure: unknown;
  try {
    await driver.driveHandshake();
    // In TLS 1.3 the client finishes first; the server's refusal arrives with the next read.
    await driver.readUntil(1);
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof Error, 'the refused client saw an error');
  assert.match(String(failure), /CERTIFICATE_REQUIRED|alert certificate required/i);
  await server.waitFor(/peer did not return a certificate/i);
});

test('offers h2,http/1.1 by ALPN and gets what openssl s_server and Python select', async () => {
  const server = await opensslServer({ alpn: ['http/1.1'] });
  const driver = await connect(server.port, clientContext({ alpn: ['h2', 'http/1.1'] }));
  await driver.driveHandshake();
  assert.is(driver.sslobj.selectedAlpnProtocol(), 'http/1.1');
  await server.waitFor(/^ALPN protocols selected: http\/1\.1$/m, 'stdout');
  await converse(driver, server);

  const python = await startPythonServer(peers, {
    cert: pki.path('server'),
    key: pki.path('server-key'),
    alpn: ['h2'],
  });
  const second = await connect(python.port, clientContext({ alpn: ['h2', 'http/1.1'] }));
  await second.driveHandshake();
  assert.is(second.sslobj.selectedAlpnProtocol(), 'h2');
  await second.writeAll(Buffer.from('alpn\n'));
  await second.readUntil((received) => received.includes(0x0a));
  await second.close();
  const result = await pythonResult(python);
  assert.is(result.alpn, 'h2');
});

test("rejects openssl s_server's untrusted certificate with SSLCertVerificationError code 20", async () => {
  const server = await opensslServer({
    cert: pki.path('untrustedClient'),
    key: pki.path('untrustedClient-key'),
  });
  const driver = await connect(server.port, clientContext());
  let failure: unknown;
  try {
    await driver.driveHandshake();
  } catch (error) {
    failure = error;
  }
  assert.instance(failure, SSLCertVerificationError);
  const error = failure as SSLCertVerificationError;
  assert.is(error.verifyCode, 20);
  assert.is(error.verifyMessage, 'unable to get local issuer certificate');
  assert.is(error.reason, 'CERTIFICATE_VERIFY_FAILED');
  await driver.end();
  // The server never saw a finished handshake. (Python's client also sends an unknown_ca alert
  // first; the node engine verifies after OpenSSL is done and cannot, so s_server sees an EOF.)
  await server.finished();
  assert.not.match(server.stdout, /CIPHER is/);
  assert.match(server.stdout, /^ +0 server accepts that finished$/m);
});

test.run();
