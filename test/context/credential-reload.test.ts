/**
 * Live certificates: reloadCredentials and watchCredentials on a real server over TCP. New
 * connections get the new certificate, an open connection keeps echoing with its own, a handshake
 * whose server object was made before the reload keeps the old material, and files that are
 * half-written, mismatched or missing are refused with the old certificate left in service.
 */
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, filter, type Observable, take, timeout } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROTOCOL_TLS_SERVER, Purpose } from '../../src/constants/ssl-constants.js';
import {
  type CredentialFiles,
  CredentialReloadError,
  type CredentialReloadEvent,
  reloadCredentials,
} from '../../src/context/credential-reload.js';
import { watchCredentials } from '../../src/context/credential-watch.js';
import { createDefaultContext } from '../../src/context/default-context.js';
import { SSLContext } from '../../src/context/ssl-context.js';
import { connect } from '../../src/endpoints/connect.js';
import { createServer, type Server } from '../../src/endpoints/server.js';
import { SSLError } from '../../src/errors/errors.js';
import { MemoryBIO } from '../../src/transport/sansio/memory-bio.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { issueCertificate } from '../../src/x509/cert-factory.js';
import { throwsA } from '../helpers/assert-error.js';
import { handshake } from '../helpers/pump.js';
import { usePki } from '../helpers/pki.js';
import { echo } from '../helpers/streams.js';

const pki = usePki(test);
const DEADLINE_MS = 20_000;
let dir = '';
let files: CredentialFiles;
let certfile = '';
let keyfile = '';

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'rxtls-reload-'));
  certfile = join(dir, 'cert.pem');
  keyfile = join(dir, 'key.pem');
  writeFileSync(certfile, pki.server.cert);
  writeFileSync(keyfile, pki.server.key);
  files = { certs: [{ certfile, keyfile }] };
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

/** A new leaf for localhost from the test CA, PEM. */
async function newLeaf(keyType: 'ec' | 'rsa' = 'ec') {
  return issueCertificate(pki.ca, {
    subject: 'CN=localhost',
    subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1'] },
    keyType,
  });
}

/** Writes `text` to `path` the way certbot and Kubernetes do: a new file renamed into place. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

async function serve(context: SSLContext, reactor: Reactor): Promise<[Server, number]> {
  const server = createServer({ context, reactor }, echo);
  const { port } = await server.listen(0, '127.0.0.1');
  return [server, port];
}

function clientContext(): SSLContext {
  return createDefaultContext(Purpose.SERVER_AUTH, { cafile: pki.path('ca') });
}

/** The DER of the certificate a new connection to `port` is shown. */
async function servedCertificate(port: number, reactor: Reactor): Promise<Buffer> {
  const socket = await connect({ host: 'localhost', port, context: clientContext(), reactor });
  const der = socket.getpeercert(true) as Buffer;
  await socket.close();
  return der;
}

async function echoes(socket: Awaited<ReturnType<typeof connect>>, text: string): Promise<string> {
  const back = firstValueFrom(socket.data$);
  socket.write(Buffer.from(text));
  return (await back).toString();
}

function serverContext(): SSLContext {
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(certfile, keyfile);
  return context;
}

function nextEvent(
  events$: Observable<CredentialReloadEvent>,
  kind: CredentialReloadEvent['kind'],
) {
  return firstValueFrom(
    events$.pipe(
      filter((event) => event.kind === kind),
      take(1),
      timeout(DEADLINE_MS),
    ),
  );
}

test('reloadCredentials: new connections get the new certificate, an open one keeps echoing', async () => {
  const reactor = new Reactor();
  const context = serverContext();
  const [server, port] = await serve(context, reactor);
  try {
    const open = await connect({ host: 'localhost', port, context: clientContext(), reactor });
    assert.equal(open.getpeercert(true), pki.server.der);
    const leaf = await newLeaf('rsa');
    writeFileSync(certfile, leaf.cert);
    writeFileSync(keyfile, leaf.key);
    const reload = reloadCredentials(context, files);
    assert.is(reload.kind, 'reloaded');
    assert.equal(reload.files, [certfile, keyfile]);
    assert.is(reload.certificates.length, 1);
    assert.is(reload.certificates[0]?.keyType, 'rsa');
    assert.is(reload.certificates[0]?.subject, 'CN=localhost');
    assert.match(reload.certificates[0]?.notAfter ?? '', / GMT$/);
    const served = await servedCertificate(port, reactor);
    assert.is(reload.certificates[0]?.fingerprint256, new X509Certificate(served).fingerprint256);
    assert.is(
      new X509Certificate(served).fingerprint256,
      new X509Certificate(leaf.cert).fingerprint256,
    );
    assert.is(await echoes(open, 'still here'), 'still here');
    assert.equal(open.getpeercert(true), pki.server.der);
    await open.close();
  } finally {
    await server.close({ timeoutMs: 5_000 });
  }
});

test('refused reloads keep the old certificate: mismatched key, half-written file, missing file', async () => {
  const reactor = new Reactor();
  const context = serverContext();
  const [server, port] = await serve(context, reactor);
  try {
    const leaf = await newLeaf();
    writeFileSync(certfile, leaf.cert);
    writeFileSync(keyfile, pki.client.key);
    const mismatch = catchReload(context);
    assert.match(
      mismatch.message,
      /key values mismatch; the previous certificates stay in service$/,
    );
    assert.instance(mismatch.cause, SSLError);
    assert.is((mismatch.cause as SSLError).reason, 'KEY_VALUES_MISMATCH');
    assert.not.match(mismatch.message, /PRIVATE KEY/);

    writeFileSync(keyfile, leaf.key);
    writeFileSync(certfile, leaf.cert.slice(0, leaf.cert.length - 40));
    const half = catchReload(context);
    assert.match(half.message, /incomplete/);
    assert.is(half.file, certfile);

    // A chain cut right at its second BEGIN line parses as a shorter chain: still refused.
    writeFileSync(certfile, `${leaf.cert}-----BEGIN CERT`);
    assert.match(catchReload(context).message, /incomplete/);

    rmSync(certfile);
    assert.match(catchReload(context).message, /ENOENT/);

    assert.equal(await servedCertificate(port, reactor), pki.server.der);
  } finally {
    await server.close({ timeoutMs: 5_000 });
  }
});

function catchReload(context: SSLContext): CredentialReloadError {
  try {
    reloadCredentials(context, files);
  } catch (error) {
    assert.instance(error, CredentialReloadError);
    assert.is((error as CredentialReloadError).code, 'ERR_RXTLS_CREDENTIAL_RELOAD');
    return error as CredentialReloadError;
  }
  throw new Error('the reload was not refused');
}

test('a server object made before a reload finishes its handshake with the old certificate', async () => {
  const context = serverContext();
  const client = clientContext();
  const serverIn = new MemoryBIO();
  const serverOut = new MemoryBIO();
  const before = context.wrapBio(serverIn, serverOut, { serverSide: true });
  const leaf = await newLeaf();
  writeFileSync(certfile, leaf.cert);
  writeFileSync(keyfile, leaf.key);
  reloadCredentials(context, files);
  const clientObj = client.wrapBio(new MemoryBIO(), new MemoryBIO(), {
    serverHostname: 'localhost',
  });
  await handshake(clientObj, before);
  assert.equal(clientObj.getpeercert(true), pki.server.der);
  const after = context.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
  const secondClient = client.wrapBio(new MemoryBIO(), new MemoryBIO(), {
    serverHostname: 'localhost',
  });
  await handshake(secondClient, after);
  assert.not.equal(secondClient.getpeercert(true), pki.server.der);
});

test('watchCredentials: a half-written file is refused, the complete one renamed into place is taken', async () => {
  const reactor = new Reactor();
  const context = serverContext();
  const [server, port] = await serve(context, reactor);
  const events$ = watchCredentials(context, files, { debounceMs: 50 });
  const seen: CredentialReloadEvent[] = [];
  const subscription = events$.subscribe((event) => seen.push(event));
  try {
    const leaf = await newLeaf();
    const failed = nextEvent(events$, 'failed');
    writeFileSync(certfile, leaf.cert.slice(0, 200));
    const failure = await failed;
    assert.is(failure.kind, 'failed');
    assert.instance(failure.kind === 'failed' ? failure.error : undefined, CredentialReloadError);
    assert.equal(await servedCertificate(port, reactor), pki.server.der);

    const reloaded = nextEvent(events$, 'reloaded');
    replaceFile(keyfile, leaf.key);
    replaceFile(certfile, leaf.cert);
    const event = await reloaded;
    assert.is(event.kind, 'reloaded');
    const served = await servedCertificate(port, reactor);
    assert.not.equal(served, pki.server.der);
    assert.equal(served, new X509Certificate(leaf.cert).raw);
    if (event.kind === 'reloaded') {
      assert.is(event.certificates[0]?.fingerprint256, new X509Certificate(served).fingerprint256);
    }
    assert.ok(seen.length >= 2);
  } finally {
    subscription.unsubscribe();
    await server.close({ timeoutMs: 5_000 });
  }
});

test('RSA and ECDSA chains reload together; a reload with one refused pair changes nothing', async () => {
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  const rsaCert = join(dir, 'rsa.pem');
  const rsaKey = join(dir, 'rsa-key.pem');
  writeFileSync(rsaCert, pki.serverRsa.cert);
  writeFileSync(rsaKey, pki.serverRsa.key);
  const both: CredentialFiles = {
    certs: [
      { certfile: rsaCert, keyfile: rsaKey },
      { certfile, keyfile },
    ],
    cafile: pki.path('ca'),
  };
  const first = reloadCredentials(context, both);
  assert.equal(
    first.certificates.map((c) => c.keyType),
    ['rsa', 'ec'],
  );
  assert.is(first.trustReloaded, true);
  assert.is(context.certStoreStats().x509_ca, 1);
  writeFileSync(rsaKey, pki.server.key);
  throwsA(() => reloadCredentials(context, both), CredentialReloadError);
  assert.equal(
    context.credentials.map((c) => c.leaf.raw),
    [pki.serverRsa.der, pki.server.der],
  );
});

test.run();
