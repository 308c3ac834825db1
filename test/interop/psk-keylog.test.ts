/**
 * Pre-shared keys against openssl s_server / s_client, and NSS key log lines that agree with
 * what `openssl s_server -keylogfile` writes for the same connection.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../src/context/ssl-context.js';
import { connect } from '../../src/endpoints/connect.js';
import { createServer } from '../../src/endpoints/server.js';
import {
  CERT_NONE,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  TLSVersion,
} from '../../src/constants/ssl-constants.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { freePort, Peers } from '../helpers/peers.js';
import { usePki } from '../helpers/pki.js';

const KEY_HEX = '000102030405060708090a0b0c0d0e0f';
const KEY = Buffer.from(KEY_HEX, 'hex');
const peers = new Peers();

test.after(async () => {
  await peers.stopAll();
});
const pki = usePki(test);

function pskClientContext(version: TLSVersion): SSLContext {
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
  ctx.checkHostname = false;
  ctx.verifyMode = CERT_NONE;
  ctx.minimumVersion = version;
  ctx.maximumVersion = version;
  ctx.setCiphers('PSK');
  ctx.setPskClientCallback(() => ['client-1', KEY]);
  return ctx;
}

for (const version of [TLSVersion.TLSv1_2, TLSVersion.TLSv1_3]) {
  const flag = version === TLSVersion.TLSv1_2 ? '-tls1_2' : '-tls1_3';
  test(`an rxtls PSK client talks to openssl s_server -psk over ${TLSVersion[version]}`, async () => {
    const port = await freePort();
    const server = peers.spawn('openssl s_server', 'openssl', [
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-nocert',
      '-psk',
      KEY_HEX,
      '-psk_identity',
      'client-1',
      ...(version === TLSVersion.TLSv1_2 ? ['-cipher', 'PSK'] : []),
      flag,
      '-naccept',
      '1',
    ]);
    await server.waitFor(/^ACCEPT$/m, 'stdout');
    const reactor = new Reactor();
    const tls = await connect({
      host: '127.0.0.1',
      port,
      context: pskClientContext(version),
      reactor,
    });
    assert.is(tls.version(), TLSVersion[version].replace('_', '.'));
    assert.is(tls.getpeercert(), null);
    tls.write('psk hello\n');
    await server.waitFor(/psk hello/, 'stdout');
    server.send('from openssl\n');
    const reply = await firstValueFrom(tls.data$);
    assert.match(Buffer.from(reply).toString(), /from openssl/);
    await reactor.shutdown({ timeoutMs: 2_000 });
    await server.stop();
  });

  test(`openssl s_client -psk talks to an rxtls PSK server over ${TLSVersion[version]}`, async () => {
    const reactor = new Reactor();
    const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
    ctx.setCiphers('PSK');
    ctx.minimumVersion = version;
    ctx.maximumVersion = version;
    const identities: (string | null)[] = [];
    ctx.setPskServerCallback((identity) => {
      identities.push(identity);
      return identity === 'client-1' ? KEY : Buffer.alloc(0);
    });
    let received = '';
    let arrived!: () => void;
    const greeting = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const server = createServer({ context: ctx, reactor }, (tls) => {
      tls.data$.subscribe({
        next: (bytes) => {
          received += Buffer.from(bytes).toString();
          if (received.includes('hello psk server')) arrived();
        },
        error: () => undefined,
      });
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const client = peers.spawn('openssl s_client', 'openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${port}`,
      '-psk',
      KEY_HEX,
      '-psk_identity',
      'client-1',
      ...(version === TLSVersion.TLSv1_2 ? ['-cipher', 'PSK'] : []),
      flag,
      '-brief',
    ]);
    client.send('hello psk server\n');
    await greeting;
    assert.equal(identities, ['client-1']);
    client.endInput();
    await client.finished();
    await server.close({ timeoutMs: 2_000 });
  });
}

test('keylogFilename writes the same secrets as openssl s_server -keylogfile for the connection', async () => {
  const port = await freePort();
  const serverLog = join(pki.dir, 'server-keys.log');
  const clientLog = join(pki.dir, 'client-keys.log');
  const server = peers.spawn('openssl s_server', 'openssl', [
    's_server',
    '-accept',
    `127.0.0.1:${port}`,
    '-cert',
    pki.path('server'),
    '-key',
    pki.path('server-key'),
    '-keylogfile',
    serverLog,
    '-naccept',
    '1',
  ]);
  await server.waitFor(/^ACCEPT$/m, 'stdout');
  const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
  ctx.loadVerifyLocations({ cafile: pki.path('ca') });
  ctx.keylogFilename = clientLog;
  const reactor = new Reactor();
  const tls = await connect({
    host: '127.0.0.1',
    serverHostname: 'localhost',
    port,
    context: ctx,
    reactor,
  });
  tls.write('x\n');
  await server.waitFor(/^x$/m, 'stdout');
  await reactor.shutdown({ timeoutMs: 2_000 });
  await server.stop();
  const secrets = (path: string) =>
    new Set(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line && !line.startsWith('#')),
    );
  const ours = secrets(clientLog);
  const theirs = secrets(serverLog);
  assert.ok(ours.size >= 4, `${ours.size} lines`);
  assert.equal([...ours].sort(), [...theirs].sort());
});

test.run();
