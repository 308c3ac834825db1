/**
 * An rxtls SSLObject server (node engine) behind a tiny net.Server on 127.0.0.1, with real
 * clients: `openssl s_client` (TLS 1.2 and 1.3, mTLS, ALPN), a Python `ssl` client and `curl`
 * (a minimal HTTP/1.1 response served over the SSLObject). Both ends are asserted.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../src/context/ssl-context.js';
import { CERT_REQUIRED, PROTOCOL_TLS_SERVER } from '../../src/constants/ssl-constants.js';
import { SSLCertVerificationError, SSLError } from '../../src/errors/errors.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import {
  type PeerProcess,
  Peers,
  pythonResult,
  startCurl,
  startOpensslClient,
  startPythonClient,
} from '../helpers/peers.js';
import { usePki } from '../helpers/pki.js';
import { DriverListener, type SocketDriver } from '../helpers/socket-driver.js';

const test = suite('rxtls server with real clients');
const peers = new Peers();
const listeners: DriverListener[] = [];

test.after(async () => {
  await peers.stopAll();
  await Promise.all(listeners.map((listener) => listener.close()));
});
const pki = usePki(test);

function serverContext(options: { mtls?: boolean; alpn?: string[] } = {}): SSLContext {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER, { engine: 'node' });
  ctx.loadCertChain(pki.path('server'), pki.path('server-key'));
  if (options.mtls) {
    ctx.verifyMode = CERT_REQUIRED;
    ctx.loadVerifyLocations({ cafile: pki.path('ca') });
  }
  if (options.alpn) ctx.setAlpnProtocols(options.alpn);
  return ctx;
}

/** Listens with `ctx`; returns the port and the listener. */
async function listen(ctx: SSLContext): Promise<[number, DriverListener]> {
  const listener = new DriverListener(() =>
    ctx.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true }),
  );
  listeners.push(listener);
  return [await listener.listen(), listener];
}

/** A line each way with an interactive s_client, which then closes at its stdin's EOF. */
async function converse(driver: SocketDriver, client: PeerProcess): Promise<void> {
  client.send('hello from openssl\n');
  const line = await driver.readUntil((received) => received.includes(0x0a));
  assert.is(line.toString(), 'hello from openssl\n');
  await driver.writeAll(Buffer.from('hello from rxtls\n'));
  await client.waitFor(/^hello from rxtls$/m, 'stdout');
  client.endInput();
  assert.is((await driver.readToEnd()).length, 0);
  await driver.close();
  assert.is((await client.finished()).code, 0, client.output);
}

for (const version of ['1.2', '1.3'] as const) {
  test(`accepts openssl s_client over TLS ${version} and exchanges data both ways`, async () => {
    const [port, listener] = await listen(serverContext());
    const client = startOpensslClient(peers, port, { cafile: pki.path('ca'), version });
    const driver = await listener.next();
    await driver.driveHandshake();
    assert.is(driver.sslobj.version(), `TLSv${version}`);
    await client.waitFor(/^CONNECTION ESTABLISHED$/m, 'stderr');
    await client.waitFor(new RegExp(`^Protocol version: TLSv${version}$`, 'm'), 'stderr');
    await client.waitFor(/^Verification: OK$/m, 'stderr');
    const cipher = driver.sslobj.cipher()?.[0] ?? '';
    await client.waitFor(new RegExp(`^Ciphersuite: ${cipher}$`, 'm'), 'stderr');
    assert.is(driver.sslobj.getpeercert(), null);
    await converse(driver, client);
  });
}

test('accepts a Python ssl client and exchanges data both ways', async () => {
  const [port, listener] = await listen(serverContext());
  const client = startPythonClient(peers, port, { cafile: pki.path('ca'), message: 'ping\n' });
  const driver = await listener.next();
  await driver.driveHandshake();
  const line = await driver.readUntil(5);
  assert.is(line.toString(), 'ping\n');
  await driver.writeAll(Buffer.from('rxtls got: ping\n'));
  assert.is(await driver.close(), 'close_notify');
  const result = await pythonResult(client);
  assert.ok(result.ok, JSON.stringify(result));
  assert.is(result.received, 'rxtls got: ping\n');
  assert.is(result.version, driver.sslobj.version());
  assert.is(result.unwrap, 'ok');
});

test('serves an HTTP/1.1 response to curl, which selects http/1.1 from its h2,http/1.1 offer', async () => {
  const [port, listener] = await listen(serverContext({ alpn: ['http/1.1'] }));
  const curl = startCurl(peers, port, { cacert: pki.path('ca'), path: '/hello' });
  const driver = await listener.next();
  await driver.driveHandshake();
  assert.is(driver.sslobj.selectedAlpnProtocol(), 'http/1.1');
  const request = (await driver.readUntil((r) => r.includes('\r\n\r\n'))).toString('latin1');
  assert.match(request, /^GET \/hello HTTP\/1\.1\r\n/);
  assert.match(request, new RegExp(`\r\nHost: localhost:${port}\r\n`));
  const body = 'hello from rxtls\n';
  await driver.writeAll(
    Buffer.from(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n' +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    ),
  );
  await driver.close();
  const exit = await curl.finished();
  assert.is(exit.code, 0, curl.output);
  assert.is(curl.stdout, `${body}\nstatus=200 verify=0 http=1.1\n`);
});

test('requires and verifies a client certificate from openssl s_client -cert (mTLS)', async () => {
  const [port, listener] = await listen(serverContext({ mtls: true }));
  const client = startOpensslClient(peers, port, {
    cafile: pki.path('ca'),
    cert: pki.path('client'),
    key: pki.path('client-key'),
  });
  const driver = await listener.next();
  await driver.driveHandshake();
  const peer = driver.sslobj.getpeercert() as { subject: [string, string][][] };
  assert.equal(peer.subject, [[['commonName', 'client']]]);
  assert.is(driver.sslobj.getVerifiedChain().length, 2);
  await client.waitFor(/^CONNECTION ESTABLISHED$/m, 'stderr');
  await converse(driver, client);
});

test('accepts a Python ssl client presenting a certificate (mTLS)', async () => {
  const [port, listener] = await listen(serverContext({ mtls: true }));
  const client = startPythonClient(peers, port, {
    cafile: pki.path('ca'),
    cert: pki.path('client'),
    key: pki.path('client-key'),
    message: 'mtls\n',
  });
  const driver = await listener.next();
  await driver.driveHandshake();
  assert.is((await driver.readUntil(5)).toString(), 'mtls\n');
  await driver.writeAll(Buffer.from('ok\n'));
  await driver.close();
  const result = await pythonResult(client);
  assert.ok(result.ok, JSON.stringify(result));
  assert.is(result.received, 'ok\n');
});

/** Runs a handshake expected to fail on the rxtls server; returns its error. */
async function failedHandshake(driver: SocketDriver): Promise<unknown> {
  try {
    await driver.driveHandshake();
  } catch (error) {
    return error;
  }
  throw new Error('the handshake unexpectedly succeeded');
}

test('refuses openssl s_client without a client certificate when CERT_REQUIRED', async () => {
  const [port, listener] = await listen(serverContext({ mtls: true }));
  const client = startOpensslClient(peers, port, { cafile: pki.path('ca') });
  const driver = await listener.next();
  const error = await failedHandshake(driver);
  assert.instance(error, SSLError);
  assert.is((error as SSLError).reason, 'PEER_DID_NOT_RETURN_A_CERTIFICATE');
  await driver.end();
  client.endInput();
  const exit = await client.finished();
  assert.is.not(exit.code, 0);
  // As from a Python server: OpenSSL refuses with an alert, not a bare close.
  assert.match(client.stderr, /alert certificate required/);
});

test('refuses openssl s_client presenting an untrusted certificate', async () => {
  const [port, listener] = await listen(serverContext({ mtls: true }));
  const client = startOpensslClient(peers, port, {
    cafile: pki.path('ca'),
    cert: pki.path('untrustedClient'),
    key: pki.path('untrustedClient-key'),
  });
  const driver = await listener.next();
  const error = await failedHandshake(driver);
  assert.instance(error, SSLCertVerificationError);
  assert.is((error as SSLCertVerificationError).verifyCode, 20);
  await driver.end();
  client.endInput();
  assert.is.not((await client.finished()).code, 0);
});

test("selects by ALPN from openssl s_client's offer with the server's preference", async () => {
  const [port, listener] = await listen(serverContext({ alpn: ['h2', 'http/1.1'] }));
  const client = startOpensslClient(peers, port, {
    cafile: pki.path('ca'),
    alpn: ['http/1.1', 'h2'],
    brief: false,
  });
  const driver = await listener.next();
  await driver.driveHandshake();
  assert.is(driver.sslobj.selectedAlpnProtocol(), 'h2');
  await client.waitFor(/^ALPN protocol: h2$/m, 'stdout');
  await converse(driver, client);
});

test.run();
