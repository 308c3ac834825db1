import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCert } from '../../src/x509/decode-cert.js';
import { usePki } from '../helpers/pki.js';
import { rxtls, rxtlsRun, serve, stopAll } from './cli-process.js';

const curl = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'rxtls-serve-'));
const CA = '.rxtls/ca.pem';
const VERIFY_FAILED =
  'rxtls: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate\n';

test.after(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});
const pki = usePki(test);

/** Stops a server as a service manager would and checks it exits 0. */
async function terminate(server: ReturnType<typeof rxtls>): Promise<void> {
  server.child.kill('SIGTERM');
  const exit = await server.exited;
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /SIGTERM: closed \d+ connection\(s\), stopped\n$/);
}

test('serve --echo makes development certificates; connect --cafile relays both ways and exits 0 at the end of stdin', async () => {
  const [server, port] = await serve(dir, ['--echo']);
  assert.match(server.stdout, `TLS echo server listening on 127.0.0.1:${port}\n`);
  assert.match(server.stdout, `development CA: ${CA} (created; trust it in your clients)\n`);
  assert.match(server.stdout, `  npx rxtls connect localhost:${port} --cafile ${CA}\n`);
  for (const key of ['ca-key.pem', 'localhost-key.pem']) {
    assert.is(statSync(join(dir, '.rxtls', key)).mode & 0o777, 0o600, key);
  }
  // Large enough that both directions meet backpressure.
  const payload = randomBytes(768 * 1024).toString('base64');
  const client = await rxtlsRun(dir, ['connect', `localhost:${port}`, '--cafile', CA], payload);
  assert.is(client.code, 0, client.stderr);
  assert.is(client.stdout.length, payload.length);
  assert.ok(client.stdout === payload, 'stdout carries exactly the echoed bytes');
  assert.match(client.stderr, `connected to localhost:${port} (127.0.0.1:${port})\n`);
  assert.match(client.stderr, /\nversion: TLSv1\.3\ncipher: TLS_\w+ \(\d+ bits\)\nalpn: none\n/);
  assert.match(
    client.stderr,
    `verification: ok: chain verified against ${CA}, name 'localhost' matches`,
  );
  assert.match(client.stderr, '"subject": [[["commonName","localhost"]]]');
  await terminate(server);
});

test('serve reuses the development certificates on the next start', async () => {
  const before = readFileSync(join(dir, CA), 'utf8');
  const leaf = readFileSync(join(dir, '.rxtls/localhost.pem'), 'utf8');
  const [server, port] = await serve(dir, []);
  assert.match(server.stdout, `development CA: ${CA} (reused; trust it in your clients)\n`);
  assert.is(readFileSync(join(dir, CA), 'utf8'), before);
  assert.is(readFileSync(join(dir, '.rxtls/localhost.pem'), 'utf8'), leaf);
  const client = await rxtlsRun(dir, ['connect', `127.0.0.1:${port}`, '--cafile', CA], 'again');
  assert.is(client.code, 0, client.stderr);
  assert.is(client.stdout, 'again');
  await terminate(server);
});

test('connect refuses an untrusted certificate or another name with exit 1 and one line naming the reason', async () => {
  const [server, port] = await serve(dir, []);
  const untrusted = await rxtlsRun(dir, ['connect', `localhost:${port}`], 'x');
  assert.is(untrusted.code, 1);
  assert.is(untrusted.stdout, '');
  assert.is(untrusted.stderr, VERIFY_FAILED);
  const otherCa = await rxtlsRun(dir, [
    'connect',
    `localhost:${port}`,
    '--cafile',
    pki.path('otherCa'),
  ]);
  assert.is(otherCa.code, 1);
  assert.is(otherCa.stderr, VERIFY_FAILED);
  const name = await rxtlsRun(dir, [
    'connect',
    `127.0.0.1:${port}`,
    '--cafile',
    CA,
    '--servername',
    'example.org',
  ]);
  assert.is(name.code, 1);
  assert.is(
    name.stderr,
    "rxtls: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'example.org'.\n",
  );
  await terminate(server);
});

test('connect --insecure skips verification, says so, and still relays', async () => {
  const [server, port] = await serve(dir, []);
  const client = await rxtlsRun(dir, ['connect', `localhost:${port}`, '--insecure'], 'plain');
  assert.is(client.code, 0, client.stderr);
  assert.is(client.stdout, 'plain');
  assert.match(
    client.stderr,
    'verification: skipped (--insecure): the server is NOT authenticated',
  );
  await terminate(server);
});

test('connect --json prints one JSON object with the handshake and the decodeCert dictionary', async () => {
  const [server, port] = await serve(dir, ['--alpn', 'h2,echo/1']);
  const json = await rxtlsRun(
    dir,
    ['connect', `localhost:${port}`, '--cafile', CA, '--alpn', 'echo/1', '--json'],
    'j',
  );
  assert.is(json.code, 0, json.stderr);
  assert.is(json.stdout, 'j');
  assert.is(json.stderr.trimEnd().split('\n').length, 1, 'one line');
  const report = JSON.parse(json.stderr);
  assert.is(report.connected, `localhost:${port}`);
  assert.is(report.version, 'TLSv1.3');
  assert.is(report.alpn, 'echo/1');
  assert.is(report.verification.verified, true);
  assert.equal(
    report.peerCertificate,
    decodeCert(readFileSync(join(dir, '.rxtls/localhost.pem'), 'utf8')),
  );
  await terminate(server);
});

test('serve --host ::1 answers connect [::1]:PORT (the certificate names ::1)', async () => {
  const [server, port] = await serve(dir, ['--host', '::1']);
  assert.match(server.stdout, `listening on [::1]:${port}`);
  const client = await rxtlsRun(dir, ['connect', `[::1]:${port}`, '--cafile', CA], 'six');
  assert.is(client.code, 0, client.stderr);
  assert.is(client.stdout, 'six');
  await terminate(server);
});

test('serve --https answers curl --cacert with the status page and /stats.json', async () => {
  const [server, port] = await serve(dir, ['--https']);
  assert.match(server.stdout, `  curl --cacert ${CA} https://localhost:${port}/\n`);
  const page = await curl('curl', ['-sS', '--cacert', CA, `https://localhost:${port}/`], {
    cwd: dir,
  });
  assert.match(page.stdout, '<h1>Hello over rxtls</h1>');
  assert.match(page.stdout, '<tr><th>server name (SNI)</th><td>localhost</td></tr>');
  // curl offers h2 and http/1.1; the server prefers h2.
  assert.match(page.stdout, '<tr><th>alpn</th><td>h2</td></tr>');
  assert.match(page.stdout, /<td id="handshakesOk">\d+<\/td>/);
  const json = await curl('curl', ['-sS', '--cacert', CA, `https://127.0.0.1:${port}/stats.json`], {
    cwd: dir,
  });
  const report = JSON.parse(json.stdout);
  assert.ok(report.stats.handshakesOk >= 2);
  assert.is(report.session.serverName, null, 'no SNI for an IP address');
  assert.is(report.session.version, 'TLSv1.3');
  assert.is(report.session.resumed, false);
  const missing = await curl(
    'curl',
    [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--cacert',
      CA,
      `https://localhost:${port}/nope`,
    ],
    { cwd: dir },
  );
  assert.is(missing.stdout, '404');
  const post = await curl(
    'curl',
    [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-d',
      'x',
      '--cacert',
      CA,
      `https://localhost:${port}/`,
    ],
    { cwd: dir },
  );
  assert.is(post.stdout, '405');
  await terminate(server);
});

test('SIGTERM stops serve with exit 0 after close_notify: the connected client ends cleanly too', async () => {
  const [server, port] = await serve(dir, []);
  const client = rxtls(dir, ['connect', `localhost:${port}`, '--cafile', CA]);
  client.child.stdin?.write('before stop\n');
  await client.waitFor(/before stop\n/);
  server.child.kill('SIGTERM');
  const exit = await server.exited;
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, 'SIGTERM: closed 1 connection(s), stopped\n');
  // connect treats an end without close_notify as an error (exit 1): 0 means close_notify came.
  const ended = await client.exited;
  assert.is(ended.code, 0, ended.stderr);
  assert.is(ended.stdout, 'before stop\n');
});

test('serve --verify required refuses a client without a certificate and accepts one with --cert/--key', async () => {
  const [server, port] = await serve(dir, [
    '--cert',
    pki.path('server'),
    '--key',
    pki.path('server-key'),
    '--cafile',
    pki.path('ca'),
    '--verify',
    'required',
  ]);
  assert.match(server.stdout, 'client certificates: required\n');
  assert.not.match(server.stdout, 'development CA');
  const target = `localhost:${port}`;
  const anonymous = await rxtlsRun(dir, ['connect', target, '--cafile', pki.path('ca')], 'hi');
  assert.is(anonymous.code, 1);
  assert.is(anonymous.stdout, '');
  // The server refuses with the certificate-required alert, as Python. In TLS 1.3 the client has
  // finished its handshake and is already writing by then, and the server closes with that data
  // unread: on a loaded machine TCP may reset the connection before the client reads the alert
  // (seen once in CI-like runs on the native engine; the node engine may also still be flushing
  // its previous flight). The refusal itself (exit 1, nothing relayed) holds either way; the exact
  // alert is checked with openssl s_client in test/interop/server-to-peers.test.ts.
  const refusal =
    /\nrxtls: (\[SSL: (TLSV13_ALERT_CERTIFICATE_REQUIRED|UNEXPECTED_EOF_WHILE_READING)\] [^\n]+|[^\n]*ECONNRESET[^\n]*)\n$/;
  assert.match(anonymous.stderr, refusal, anonymous.stderr);
  const stranger = await rxtlsRun(dir, [
    'connect',
    target,
    '--cafile',
    pki.path('ca'),
    '--cert',
    pki.path('untrustedClient'),
    '--key',
    pki.path('untrustedClient-key'),
  ]);
  assert.is(stranger.code, 1);
  // The node engine judges client chains after Node's handshake and can only hang up, where
  // OpenSSL (the native engine, Python) sends the unknown_ca alert.
  const reason =
    process.env['RXTLS_ENGINE'] === 'node'
      ? /\nrxtls: \[SSL: UNEXPECTED_EOF_WHILE_READING\] [^\n]+\n$/
      : /\nrxtls: \[SSL: TLSV1_ALERT_UNKNOWN_CA\] tlsv1 alert unknown ca\n$/;
  assert.match(stranger.stderr, reason);
  const client = await rxtlsRun(
    dir,
    [
      'connect',
      target,
      '--cafile',
      pki.path('ca'),
      '--cert',
      pki.path('client'),
      '--key',
      pki.path('client-key'),
    ],
    'mutual',
  );
  assert.is(client.code, 0, client.stderr);
  assert.is(client.stdout, 'mutual');
  await terminate(server);
});

test('serve --verify required with the development certificates trusts clients of .rxtls/ca.pem', async () => {
  const [server, port] = await serve(dir, ['--https', '--verify', 'required']);
  const made = await rxtlsRun(dir, [
    'cert',
    'create',
    '--ca',
    CA,
    '--ca-key',
    '.rxtls/ca-key.pem',
    '--cn',
    'alice',
    '--name',
    'alice',
  ]);
  assert.is(made.code, 0, made.stderr);
  const page = await curl(
    'curl',
    [
      '-sS',
      '--cacert',
      CA,
      '--cert',
      'alice.pem',
      '--key',
      'alice-key.pem',
      `https://localhost:${port}/stats.json`,
    ],
    { cwd: dir },
  );
  assert.is(JSON.parse(page.stdout).session.clientCertificate, 'commonName=alice');
  await terminate(server);
});

test('cert fetch prints the PEM a server presents, writes it with --out, verifies with --cafile', async () => {
  const [server, port] = await serve(dir, [
    '--max-connections',
    '4',
    '--handshake-timeout',
    '5000',
    '--idle-timeout',
    '5000',
  ]);
  const leaf = readFileSync(join(dir, '.rxtls/localhost.pem'), 'utf8');
  const printed = await rxtlsRun(dir, ['cert', 'fetch', `127.0.0.1:${port}`]);
  assert.is(printed.code, 0, printed.stderr);
  assert.is(printed.stdout.replace(/\s/g, ''), leaf.replace(/\s/g, ''));
  const saved = await rxtlsRun(dir, [
    'cert',
    'fetch',
    `localhost:${port}`,
    '--cafile',
    CA,
    '--out',
    'fetched.pem',
  ]);
  assert.is(saved.code, 0, saved.stderr);
  assert.match(saved.stdout, /^certificate: .*fetched\.pem\n$/);
  assert.is(readFileSync(join(dir, 'fetched.pem'), 'utf8'), printed.stdout);
  const refused = await rxtlsRun(dir, [
    'cert',
    'fetch',
    `localhost:${port}`,
    '--cafile',
    pki.path('otherCa'),
  ]);
  assert.is(refused.code, 1);
  assert.is(refused.stderr, VERIFY_FAILED);
  await terminate(server);
});

test('a connection refused or a port in use exits 1 with one line', async () => {
  const [server, port] = await serve(dir, []);
  const busy = await rxtlsRun(dir, ['serve', '--port', String(port)]);
  assert.is(busy.code, 1);
  assert.match(busy.stderr, /^rxtls: listen EADDRINUSE[^\n]*\n$/);
  await terminate(server);
  const refused = await rxtlsRun(dir, ['connect', `127.0.0.1:${port}`, '--cafile', CA]);
  assert.is(refused.code, 1);
  assert.is(refused.stderr, `rxtls: connect ECONNREFUSED 127.0.0.1:${port}\n`);
});

test('every command prints its help with --help and exits 0', async () => {
  const cases: [string[], string][] = [
    [['--help'], '  serve    serve TLS echo or HTTPS'],
    [['serve', '--help'], 'usage: rxtls serve [--echo|--https]'],
    [['connect', '-h'], 'usage: rxtls connect HOST:PORT'],
    [['cert', 'fetch', '--help'], 'usage: rxtls cert fetch HOST:PORT'],
  ];
  for (const [args, text] of cases) {
    const run = await rxtlsRun(dir, args);
    assert.is(run.code, 0, args.join(' '));
    assert.match(run.stdout, text);
  }
});

test('bad usage exits 2 with one line naming the problem', async () => {
  const cases: [string[], string][] = [
    [['connect'], "rxtls connect: missing HOST:PORT (see 'rxtls connect --help')"],
    [
      ['connect', 'localhost'],
      "rxtls connect: expected HOST:PORT (IPv6 as [::1]:PORT), got 'localhost'",
    ],
    [['connect', '::1:80'], "rxtls connect: expected HOST:PORT (IPv6 as [::1]:PORT), got '::1:80'"],
    [['connect', 'localhost:70000'], "rxtls connect: the port must be 1-65535, got '70000'"],
    [
      ['connect', 'localhost:1', '--insecure', '--cafile', CA],
      'rxtls connect: --insecure ignores --cafile: choose one',
    ],
    [['connect', 'localhost:1', '--cert', 'x.pem'], 'rxtls connect: --cert and --key go together'],
    [
      ['connect', 'localhost:1', '--alpn', 'h2,'],
      "rxtls connect: --alpn must be a comma-separated list, got 'h2,'",
    ],
    [['connect', 'localhost:1', '--bogus'], "rxtls connect: unknown option '--bogus'"],
    [['serve', '--echo', '--https'], 'rxtls serve: choose --echo or --https'],
    [
      ['serve', '--https', '--alpn', 'spdy/3'],
      'rxtls serve: --https speaks h2 and HTTP/1.1: --alpn must include one',
    ],
    [['serve', '--port', 'http'], "rxtls serve: --port must be 0-65535, got 'http'"],
    [
      ['serve', '--verify', 'maybe'],
      "rxtls serve: --verify must be none, optional or required, got 'maybe'",
    ],
    [['serve', '--cert', 'x.pem'], 'rxtls serve: --cert and --key go together'],
    [
      ['serve', '--cert', 'x.pem', '--key', 'k.pem', '--verify', 'optional'],
      'rxtls serve: --verify optional needs --cafile with your own --cert',
    ],
    [
      ['serve', '--max-connections', '0'],
      "rxtls serve: --max-connections must be a positive integer, got '0'",
    ],
    [['serve', 'extra'], "rxtls serve: unexpected argument 'extra'"],
    [['cert', 'fetch'], "rxtls cert fetch: missing HOST:PORT (see 'rxtls cert fetch --help')"],
  ];
  for (const [args, line] of cases) {
    const run = await rxtlsRun(dir, args);
    assert.is(run.code, 2, args.join(' '));
    assert.is(run.stdout, '');
    assert.ok(run.stderr.startsWith(line), run.stderr);
    assert.is(run.stderr.split('\n').length, 2, 'one line');
  }
});

test.run();
