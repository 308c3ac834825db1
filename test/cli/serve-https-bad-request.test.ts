/**
 * The issue-14 scenario as a user meets it: `openssl s_client` sending `GET / HTTP/1.0\n\n` (bare
 * LF line endings, as TLS test tools send) to `rxtls serve --https` gets `HTTP/1.1 400` and then a
 * close_notify. s_client, given no ALPN, lands on http/1.1; it exits 0 after a close_notify and
 * reports "unexpected eof while reading" (exit 1) when the connection ends without one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serve, stopAll } from './cli-process.js';

let cwd = '';
test.before(() => {
  cwd = mkdtempSync(join(tmpdir(), 'rxtls-https-400-'));
});
test.after(async () => {
  await stopAll();
  rmSync(cwd, { recursive: true, force: true });
});

/** Runs openssl s_client against `port` with `input` on stdin, to the end of the connection. */
function sClient(port: number, input: string) {
  const client = spawn(
    'openssl',
    [
      's_client',
      '-connect',
      `127.0.0.1:${port}`,
      '-servername',
      'localhost',
      '-CAfile',
      join(cwd, '.rxtls/ca.pem'),
      '-verify_return_error',
      // -quiet implies -ign_eof: the end of stdin does not close; the server's close does.
      '-quiet',
    ],
    { cwd, stdio: 'pipe' },
  );
  let stdout = '';
  let stderr = '';
  client.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('latin1');
  });
  client.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('latin1');
  });
  client.stdin.end(input);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    client.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('openssl s_client sending a bare-LF request to rxtls serve --https gets 400 and a close_notify', async () => {
  const [, port] = await serve(cwd, ['--https']);
  const answer = await sClient(port, 'GET / HTTP/1.0\n\n');
  assert.ok(answer.stdout.startsWith('HTTP/1.1 400 Bad Request\r\n'), answer.stdout);
  assert.not.match(answer.stderr, /unexpected eof/i);
  assert.is(answer.code, 0, answer.stderr);

  // The server goes on: a well-formed request on a new connection is served.
  const served = await sClient(port, 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n');
  assert.ok(served.stdout.startsWith('HTTP/1.1 200 OK\r\n'), served.stdout.slice(0, 200));
  assert.is(served.code, 0, served.stderr);
});

test.run();
