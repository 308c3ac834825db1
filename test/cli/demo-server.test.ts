import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CliProcess, DEMO, rxtlsRun, stopAll } from './cli-process.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'rxtls-demo-'));
const CA = '.rxtls/ca.pem';

test.after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

/** `npm start` without the build step: the compiled demo, on free ports. */
async function startDemo(env: NodeJS.ProcessEnv = {}): Promise<[CliProcess, number, number]> {
  const demo = new CliProcess(DEMO, [], dir, {
    RXTLS_HTTPS_PORT: '0',
    RXTLS_ECHO_PORT: '0',
    ...env,
  });
  await demo.waitFor(/Stop with Ctrl-C\.\n/);
  const https = /HTTPS server: +https:\/\/localhost:(\d+)\//.exec(demo.stdout)?.[1];
  const echo = /echo server: +localhost:(\d+)\n/.exec(demo.stdout)?.[1];
  return [demo, Number(https), Number(echo)];
}

function curl(...args: string[]): Promise<string> {
  return run('curl', ['-sS', '--cacert', CA, ...args], { cwd: dir }).then((r) => r.stdout);
}

test('the demo prints how to try it, serves curl the page with stats and the TLS session, echoes for rxtls connect, and stops on SIGTERM', async () => {
  const [demo, httpsPort, echoPort] = await startDemo();
  assert.match(demo.stdout, `development CA: ${CA} (created)`);
  assert.match(demo.stdout, `  curl --cacert ${CA} https://localhost:${httpsPort}/\n`);
  assert.match(demo.stdout, `  npx rxtls connect localhost:${echoPort} --cafile ${CA}\n`);

  const page = await curl(`https://localhost:${httpsPort}/`);
  assert.match(page, '<h2>Server statistics (reactor.stats())</h2>');
  assert.match(page, /<td id="handshakesOk">[1-9]\d*<\/td>/);
  assert.match(page, /<tr><th>version<\/th><td>TLSv1\.[23]<\/td><\/tr>/);
  assert.match(page, /<tr><th>cipher<\/th><td>\w+ \(\d+ bits\)<\/td><\/tr>/);
  assert.match(page, '<tr><th>alpn</th><td>h2</td></tr>');
  assert.match(page, '<tr><th>server name (SNI)</th><td>localhost</td></tr>');
  assert.match(page, '<tr><th>resumed</th><td>no</td></tr>');

  const echoed = await rxtlsRun(dir, ['connect', `localhost:${echoPort}`, '--cafile', CA], 'ping');
  assert.is(echoed.code, 0, echoed.stderr);
  assert.is(echoed.stdout, 'ping');

  const report = JSON.parse(await curl(`https://localhost:${httpsPort}/stats.json`));
  assert.ok(report.stats.handshakesOk >= 3, 'both servers count in one reactor');
  assert.is(report.stats.connections, 1, 'only this request is open');
  assert.ok(report.stats.bytesIn > 0 && report.stats.bytesOut > 0);
  assert.is(report.session.alpn, 'h2');
  assert.is(report.session.serverName, 'localhost');

  demo.child.kill('SIGTERM');
  const exit = await demo.exited;
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /SIGTERM: stopped after \d+ handshake\(s\), \d+ bytes\n$/);
});

test('a second start reuses the certificates; a port in use is named with the variable to change', async () => {
  const [demo, httpsPort] = await startDemo();
  assert.match(demo.stdout, `development CA: ${CA} (reused)`);
  const busy = new CliProcess(DEMO, [], dir, { RXTLS_HTTPS_PORT: String(httpsPort) });
  const exit = await busy.exited;
  assert.is(exit.code, 1);
  assert.is(
    exit.stderr,
    `demo: port ${httpsPort} is in use: choose another with RXTLS_HTTPS_PORT=PORT npm start\n`,
  );
  const bad = await new CliProcess(DEMO, [], dir, { RXTLS_ECHO_PORT: 'eight' }).exited;
  assert.is(bad.code, 1);
  assert.is(bad.stderr, "demo: RXTLS_ECHO_PORT must be a port number (0-65535), got 'eight'\n");
  demo.child.kill('SIGINT');
  assert.is((await demo.exited).code, 0);
});

test.run();
