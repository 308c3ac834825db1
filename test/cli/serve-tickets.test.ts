/**
 * `rxtls serve` resumes sessions wherever they land: on either worker of `--workers 2`, and on
 * another `rxtls serve` sharing `--ticket-store redis://...` (openssl s_client -sess_out against
 * one, -sess_in against the other: "Reused"). Each Redis test starts its own redis-server.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { echoOnce } from '../helpers/streams.js';
import { Purpose } from '../../src/constants/ssl-constants.js';
import { createDefaultContext } from '../../src/context/default-context.js';
import { connect } from '../../src/endpoints/connect.js';
import type { SSLSession } from '../../src/transport/sansio/ssl-object.js';
import { Peers } from '../helpers/peers.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { childrenOf, rxtlsRun, serve, serverPids, stopAll } from './cli-process.js';

const test = suite('rxtls serve: session resumption everywhere');
const peers = new Peers();
let cwd = '';
let redis: TestRedis | undefined;
test.before(() => {
  cwd = mkdtempSync(join(tmpdir(), 'rxtls-tickets-'));
});
test.after.each(async () => {
  await peers.stopAll();
  await stopAll();
  await redis?.stop();
  redis = undefined;
});
test.after(() => {
  rmSync(cwd, { recursive: true, force: true });
});

test('--ticket-store takes memory or redis://HOST:PORT[/DB], nothing else', async () => {
  for (const bad of ['redis', 'redis://', 'http://127.0.0.1:6379', 'redis://h:1/x', 'disk']) {
    const exit = await rxtlsRun(cwd, ['serve', '--ticket-store', bad]);
    assert.is(exit.code, 2, bad);
    assert.match(exit.stderr, '--ticket-store must be memory or redis://HOST:PORT[/DB]');
  }
});

test('serve --echo --workers 2: every worker resumes the session the first connection got', async () => {
  const [server, port] = await serve(cwd, ['--echo', '--workers', '2']);
  assert.match(server.stdout, 'session tickets: keys in this process');
  const workers = childrenOf(server.child.pid as number);
  assert.is(workers.size, 2);
  const context = createDefaultContext(Purpose.SERVER_AUTH, { cafile: join(cwd, '.rxtls/ca.pem') });
  const first = await connect({ host: 'localhost', port, context });
  // The echo carries the TLS 1.3 tickets sent before it.
  assert.is(await echoOnce(first, 'first'), 'first');
  const session = first.session as SSLSession;
  assert.ok(session);
  const served = serverPids(port);
  await first.close();
  let resumed = 0;
  // The kernel spreads connections by hash: go on until both workers resumed some (bounded).
  for (let i = 0; i < 200 && (served.size < 2 || resumed < 20); i++) {
    const socket = await connect({ host: 'localhost', port, context, session });
    assert.is(await echoOnce(socket, `again ${i}`), `again ${i}`);
    assert.ok(socket.sessionReused, `connection ${i} resumed`);
    resumed++;
    for (const pid of serverPids(port)) served.add(pid);
    await socket.close();
  }
  assert.equal(served, workers, 'both workers resumed sessions');
  assert.ok(resumed >= 20);
});

/** openssl s_client to 127.0.0.1:`port`: sends a line, waits for its echo, leaves. */
async function sClient(port: number, ca: string, session: ['-sess_out' | '-sess_in', string]) {
  const client = peers.spawn('openssl s_client', 'openssl', [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-servername',
    'localhost',
    '-CAfile',
    ca,
    '-verify_return_error',
    ...session,
  ]);
  client.send('ping\n');
  // The echo comes after the TLS 1.3 tickets: by then -sess_out has one.
  await client.waitFor(/^ping$/m, 'stdout');
  client.endInput();
  await client.finished();
  return client.stdout;
}

test('two rxtls serve (one with --workers 2) sharing --ticket-store redis:// resume each other (openssl s_client "Reused")', async () => {
  redis = await startRedis();
  const store = `${redis.url}/0`;
  const [one, portOne] = await serve(cwd, ['--echo', '--port', '0', '--ticket-store', store]);
  // The second runs two workers: its primary keeps the Redis ring and hands it to both.
  const [, portTwo] = await serve(cwd, [
    '--echo',
    '--port',
    '0',
    '--workers',
    '2',
    '--ticket-store',
    store,
  ]);
  assert.match(one.stdout, `session tickets: keys shared through ${store}`);
  const ca = join(cwd, '.rxtls/ca.pem');
  const sessionFile = join(cwd, 'session.pem');
  const first = await sClient(portOne, ca, ['-sess_out', sessionFile]);
  assert.match(first, /^New, TLSv1\.3/m);
  assert.ok(existsSync(sessionFile));
  const second = await sClient(portTwo, ca, ['-sess_in', sessionFile]);
  assert.match(second, /^Reused, TLSv1\.3/m);
  const back = await sClient(portOne, ca, ['-sess_in', sessionFile]);
  assert.match(back, /^Reused, TLSv1\.3/m);
  // And the other way: a session from the clustered server resumes on the single one.
  const fromTwo = join(cwd, 'session-two.pem');
  assert.match(await sClient(portTwo, ca, ['-sess_out', fromTwo]), /^New, TLSv1\.3/m);
  assert.match(await sClient(portOne, ca, ['-sess_in', fromTwo]), /^Reused, TLSv1\.3/m);
});

test('rxtls serve with its Redis down starts, serves and resumes on its own keys', async () => {
  redis = await startRedis();
  await redis.down();
  const [server, port] = await serve(cwd, ['--echo', '--port', '0', '--ticket-store', redis.url]);
  await server.waitFor(/ticket key store unreachable, keeping the current keys/, 'stderr');
  const ca = join(cwd, '.rxtls/ca.pem');
  const sessionFile = join(cwd, 'session-down.pem');
  assert.match(await sClient(port, ca, ['-sess_out', sessionFile]), /^New, /m);
  assert.match(await sClient(port, ca, ['-sess_in', sessionFile]), /^Reused, /m);
});

test.run();
