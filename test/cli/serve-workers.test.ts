/**
 * `rxtls serve --workers`: one address served from several processes, drained together.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { echoOnce } from '../helpers/streams.js';
import { Purpose } from '../../src/constants/ssl-constants.js';
import { createDefaultContext } from '../../src/context/default-context.js';
import { connect } from '../../src/endpoints/connect.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { childrenOf, serve, serverPids, stopAll } from './cli-process.js';

let cwd = '';
test.before(() => {
  cwd = mkdtempSync(join(tmpdir(), 'rxtls-workers-'));
});
test.after(async () => {
  await stopAll();
  rmSync(cwd, { recursive: true, force: true });
});

test('serve --workers 2 serves one port from two worker processes; SIGTERM drains both and exits 0', async () => {
  const [server, port] = await serve(cwd, ['--echo', '--workers', '2']);
  assert.match(server.stdout, 'workers: 2, each on this address');
  const context = createDefaultContext(Purpose.SERVER_AUTH, { cafile: join(cwd, '.rxtls/ca.pem') });
  const clients: SSLSocket[] = [];
  const workers = childrenOf(server.child.pid as number);
  assert.is(workers.size, 2);
  // Each connection lands on a worker by the kernel's hash: open them until both serve some.
  for (let i = 0; i < 64 && serverPids(port).size < 2; i++) {
    const socket = await connect({ host: 'localhost', port, context, suppressRaggedEofs: false });
    assert.is(await echoOnce(socket, `hello ${i}`), `hello ${i}`);
    clients.push(socket);
  }
  assert.equal(serverPids(port), workers);
  const ends = clients.map(
    (socket) =>
      new Promise<string>((resolve) =>
        socket.data$.subscribe({
          complete: () => resolve('close_notify'),
          error: (error: Error) => resolve(error.name),
        }),
      ),
  );
  server.child.kill('SIGTERM');
  const exit = await server.exited;
  assert.is(exit.code, 0);
  assert.match(exit.stdout, `SIGTERM: closed ${clients.length} connection(s), stopped`);
  // suppressRaggedEofs false: an EOF without close_notify would have been SSLEOFError.
  assert.equal(
    await Promise.all(ends),
    clients.map(() => 'close_notify'),
  );
  for (const pid of workers) assert.throws(() => process.kill(pid, 0), 'worker gone');
});

test.run();
