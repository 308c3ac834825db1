/**
 * `rxtls serve` with live certificates: SIGHUP (and a change to the files) gives new connections
 * the new certificate while open ones keep echoing, in one process and with --workers 2; a
 * half-written file caught by the watcher and a key that does not match are refused with the old
 * certificate left in service; a storm of SIGHUPs leaves the newest good certificate serving; and
 * `--cert`/`--key` given twice serve an RSA and an ECDSA certificate side by side.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { echoOnce } from '../helpers/streams.js';
import { Purpose } from '../../src/constants/ssl-constants.js';
import { createDefaultContext } from '../../src/context/default-context.js';
import type { SSLContext } from '../../src/context/ssl-context.js';
import { connect } from '../../src/endpoints/connect.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { issueCertificate } from '../../src/x509/cert-factory.js';
import { usePki } from '../helpers/pki.js';
import { type CliProcess, serve, stopAll } from './cli-process.js';

const pki = usePki(test);
let cwd = '';
let client: SSLContext;
const certfile = () => join(cwd, 'cert.pem');
const keyfile = () => join(cwd, 'key.pem');

test.before(() => {
  cwd = mkdtempSync(join(tmpdir(), 'rxtls-serve-reload-'));
});
test.before.each(() => {
  client = createDefaultContext(Purpose.SERVER_AUTH, { cafile: pki.path('ca') });
  writeFileSync(certfile(), pki.server.cert);
  writeFileSync(keyfile(), pki.server.key);
});
test.after.each(() => stopAll());
test.after(() => rmSync(cwd, { recursive: true, force: true }));

interface Leaf {
  cert: string;
  key: string;
  fingerprint: string;
}

async function newLeaf(keyType: 'ec' | 'rsa' = 'ec'): Promise<Leaf> {
  const leaf = await issueCertificate(pki.ca, {
    subject: 'CN=localhost',
    subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1'] },
    keyType,
  });
  return { ...leaf, fingerprint: new X509Certificate(leaf.cert).fingerprint256 };
}

/** Puts a pair in place as certbot does: new files renamed over the old ones, key first. */
function install(leaf: { cert: string; key: string }): void {
  for (const [path, text] of [
    [keyfile(), leaf.key],
    [certfile(), leaf.cert],
  ] as const) {
    writeFileSync(`${path}.new`, text);
    renameSync(`${path}.new`, path);
  }
}

const fingerprintOf = (der: Buffer | null) => new X509Certificate(der as Buffer).fingerprint256;

/** The certificate a new connection is shown, and the connection (left open). */
async function open(port: number): Promise<[SSLSocket<SSLContext>, string]> {
  const socket = await connect({ host: 'localhost', port, context: client });
  return [socket, fingerprintOf(socket.getpeercert(true))];
}

async function shown(port: number): Promise<string> {
  const [socket, fingerprint] = await open(port);
  await socket.close();
  return fingerprint;
}

/** Waits until `pattern` has matched `count` times on `stream`. */
async function waitForCount(
  server: CliProcess,
  pattern: RegExp,
  count: number,
  stream: 'stdout' | 'stderr' = 'stdout',
): Promise<void> {
  const global = new RegExp(pattern.source, 'g');
  const counted = new RegExp(`(?:[\\s\\S]*?${pattern.source}){${count}}`);
  await server.waitFor(counted, stream);
  assert.ok((server[stream].match(global)?.length ?? 0) >= count);
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('SIGHUP: new connections get the new certificate, an open connection keeps echoing', async () => {
  const [server, port] = await serve(cwd, ['--echo', '--cert', certfile(), '--key', keyfile()]);
  const [kept, before] = await open(port);
  assert.is(before, fingerprintOf(pki.server.der));
  const leaf = await newLeaf();
  install(leaf);
  server.child.kill('SIGHUP');
  await server.waitFor(
    new RegExp(
      `SIGHUP: reloaded CN=localhost \\(ec, until .* GMT, SHA-256 ${literal(leaf.fingerprint)}\\)`,
    ),
  );
  assert.is(await shown(port), leaf.fingerprint);
  assert.is(await echoOnce(kept, 'still here'), 'still here');
  assert.is(fingerprintOf(kept.getpeercert(true)), before);
  await kept.close();
});

test('refused: a half-written file caught by the watcher, then a key that does not match', async () => {
  const [server, port] = await serve(cwd, ['--echo', '--cert', certfile(), '--key', keyfile()]);
  const original = fingerprintOf(pki.server.der);
  const leaf = await newLeaf();
  writeFileSync(certfile(), leaf.cert.slice(0, leaf.cert.length / 2));
  await server.waitFor(
    /files changed: could not reload .*cert\.pem.*incomplete.*stay in service/,
    'stderr',
  );
  assert.is(await shown(port), original);

  install({ cert: leaf.cert, key: pki.client.key });
  server.child.kill('SIGHUP');
  await server.waitFor(/SIGHUP: could not reload .*key values mismatch; the previous/, 'stderr');
  assert.not.match(server.stderr, /PRIVATE KEY/);
  assert.is(await shown(port), original);
  // The complete pair, once written, is taken.
  install(leaf);
  server.child.kill('SIGHUP');
  await server.waitFor(new RegExp(`SIGHUP: reloaded .*${literal(leaf.fingerprint)}`));
  assert.is(await shown(port), leaf.fingerprint);
});

test('a storm of 50 SIGHUPs leaves the server serving the newest good certificate', async () => {
  const [server, port] = await serve(cwd, ['--echo', '--cert', certfile(), '--key', keyfile()]);
  const [kept] = await open(port);
  const middle = await newLeaf();
  const newest = await newLeaf('rsa');
  install(middle);
  for (let i = 0; i < 50; i++) {
    if (i === 25) install(newest);
    server.child.kill('SIGHUP');
  }
  await server.waitFor(new RegExp(`SIGHUP: reloaded .*${literal(newest.fingerprint)}`));
  assert.is(await shown(port), newest.fingerprint);
  assert.is(await echoOnce(kept, 'after the storm'), 'after the storm');
  assert.is(server.child.exitCode, null);
  await kept.close();
});

test('--workers 2: SIGHUP reaches every worker; open connections on both keep echoing', async () => {
  const [server, port] = await serve(cwd, [
    '--echo',
    '--workers',
    '2',
    '--cert',
    certfile(),
    '--key',
    keyfile(),
  ]);
  const pids = () =>
    new Set(
      [
        ...execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`], {
          encoding: 'utf8',
        }).matchAll(/pid=(\d+)/g),
      ].map((match) => match[1]),
    );
  const kept: SSLSocket<SSLContext>[] = [];
  for (let i = 0; i < 64 && pids().size < 2; i++) kept.push((await open(port))[0]);
  assert.is(pids().size, 2);
  const leaf = await newLeaf();
  install(leaf);
  server.child.kill('SIGHUP');
  await waitForCount(server, /SIGHUP: worker \d reloaded/, 2);
  const seen = new Set<string>();
  for (let i = 0; i < 16; i++) seen.add(await shown(port));
  assert.equal([...seen], [leaf.fingerprint]);
  for (const [i, socket] of kept.entries()) {
    assert.is(await echoOnce(socket, `kept ${i}`), `kept ${i}`);
    await socket.close();
  }
});

test('--cert/--key twice: an RSA and an ECDSA certificate, each client gets the one it can verify', async () => {
  const rsaCert = join(cwd, 'rsa.pem');
  const rsaKey = join(cwd, 'rsa-key.pem');
  writeFileSync(rsaCert, pki.serverRsa.cert);
  writeFileSync(rsaKey, pki.serverRsa.key);
  const [, port] = await serve(cwd, [
    '--echo',
    '--cert',
    rsaCert,
    '--key',
    rsaKey,
    '--cert',
    certfile(),
    '--key',
    keyfile(),
  ]);
  const leafFor = (sigalgs: string) => {
    const out = execFileSync(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-sigalgs', sigalgs, '-CAfile', pki.path('ca')],
      { input: '', encoding: 'latin1', timeout: 30_000, stdio: ['pipe', 'pipe', 'ignore'] },
    );
    const pem = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(out)?.[0];
    return new X509Certificate(pem as string).fingerprint256;
  };
  assert.is(leafFor('ecdsa_secp256r1_sha256'), fingerprintOf(pki.server.der));
  assert.is(leafFor('rsa_pss_rsae_sha256'), fingerprintOf(pki.serverRsa.der));
});

test.run();
