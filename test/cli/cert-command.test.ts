import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DecodedCert } from '../../src/x509/decoded-cert.js';
import { python } from '../helpers/python.js';

const BIN = fileURLToPath(new URL('../../../bin/rxtls.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rxtls-cert-command-'));
const KEY_MODE = 0o600;

/** Runs the built CLI as a user would, in the test's temp dir. */
function rxtls(...args: string[]) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function openssl(...args: string[]) {
  const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, out: run.stdout + run.stderr };
}

function decode(...paths: string[]): DecodedCert[] {
  return python(
    'import json, ssl, sys\nprint(json.dumps([ssl._ssl._test_decode_cert(p) for p in json.load(sys.stdin)]))',
    paths.map((path) => join(dir, path)),
  );
}

function mode(path: string): number {
  return statSync(join(dir, path)).mode & 0o777;
}

test('rxtls --help lists the cert command, --version prints the version, both exit 0', () => {
  const help = rxtls('--help');
  assert.is(help.status, 0);
  assert.match(help.stdout, 'usage: rxtls <command> [options]');
  assert.match(help.stdout, /\n {2}cert +make a CA/);
  assert.is(help.stderr, '');
  const version = rxtls('--version');
  assert.is(version.status, 0);
  assert.match(version.stdout, /^rxtls \d+\.\d+\.\d+\n$/);
});

test('every cert subcommand prints its help with --help or -h and exits 0', () => {
  const cases: [string[], string][] = [
    [['cert', '--help'], 'usage: rxtls cert <ca|create|show|fetch> [options]'],
    [['cert', 'ca', '--help'], 'usage: rxtls cert ca [--out-dir DIR]'],
    [['cert', 'create', '-h'], 'usage: rxtls cert create [--out-dir DIR]'],
    [['cert', 'show', '--help'], 'usage: rxtls cert show FILE'],
  ];
  for (const [args, usage] of cases) {
    const run = rxtls(...args);
    assert.is(run.status, 0, args.join(' '));
    assert.ok(run.stdout.startsWith(usage), run.stdout);
  }
});

test('bad usage exits 2 with one line on stderr naming the problem', () => {
  const cases: [string[], string][] = [
    [[], "rxtls: missing command (see 'rxtls --help')"],
    [['serve-all'], "rxtls: unknown command 'serve-all' (see 'rxtls --help')"],
    [
      ['cert'],
      "rxtls cert: missing subcommand: ca, create, show or fetch (see 'rxtls cert --help')",
    ],
    [
      ['cert', 'sign'],
      "rxtls cert: unknown subcommand 'sign': use ca, create, show or fetch (see 'rxtls cert --help')",
    ],
    [['cert', 'ca', '--foo'], "rxtls cert ca: unknown option '--foo' (see 'rxtls cert ca --help')"],
    [
      ['cert', 'ca', '--days'],
      "rxtls cert ca: option '--days <value>' argument missing (see 'rxtls cert ca --help')",
    ],
    [
      ['cert', 'ca', '--days', '0'],
      "rxtls cert ca: --days must be a positive integer, got '0' (see 'rxtls cert ca --help')",
    ],
    [
      ['cert', 'ca', '--force=yes'],
      "rxtls cert ca: option '--force' does not take an argument (see 'rxtls cert ca --help')",
    ],
    [
      ['cert', 'ca', '--key-type', 'dsa'],
      "rxtls cert ca: --key-type must be ec or rsa, got 'dsa' (see 'rxtls cert ca --help')",
    ],
    [
      ['cert', 'ca', '--rsa-bits', '1024'],
      "rxtls cert ca: --rsa-bits must be 2048, 3072 or 4096, got '1024' (see 'rxtls cert ca --help')",
    ],
    [
      ['cert', 'ca', '--cn', ''],
      "rxtls cert ca: --cn must not be empty (see 'rxtls cert ca --help')",
    ],
    [
      ['cert', 'ca', 'extra'],
      "rxtls cert ca: unexpected argument 'extra' (see 'rxtls cert ca --help')",
    ],
    [
      ['cert', 'create', '--ca', 'ca.pem'],
      "rxtls cert create: --ca and --ca-key go together (see 'rxtls cert create --help')",
    ],
    [
      ['cert', 'create', '--san', 'IP:999.1.1.1'],
      "rxtls cert create: --san: '999.1.1.1' does not appear to be an IPv4 or IPv6 address (see 'rxtls cert create --help')",
    ],
    [
      ['cert', 'create', '--san', 'host.test'],
      /^rxtls cert create: --san: subjectAltName "host.test" must start with DNS:, IP:/,
    ],
    [
      ['cert', 'create', '--name', '../x'],
      "rxtls cert create: --name must be a plain file name stem, got '../x' (see 'rxtls cert create --help')",
    ],
    [['cert', 'show'], "rxtls cert show: missing FILE (see 'rxtls cert show --help')"],
    [
      ['cert', 'show', 'a.pem', 'b.pem'],
      "rxtls cert show: unexpected argument 'b.pem' (see 'rxtls cert show --help')",
    ],
  ].map(([args, message]) => [args as string[], message as string]);
  for (const [args, message] of cases) {
    const run = rxtls(...args);
    assert.is(run.status, 2, args.join(' '));
    assert.is(run.stdout, '');
    const lines = run.stderr.split('\n');
    assert.is(lines.length, 2, run.stderr);
    if (typeof message === 'string') assert.is(lines[0], message);
    else assert.match(lines[0]!, message);
  }
  assert.not.ok(existsSync(join(dir, 'cert.pem')), 'no file is written on bad usage');
});

test('cert ca writes ca.pem and a 0600 ca-key.pem and prints their paths', () => {
  const run = rxtls('cert', 'ca', '--out-dir', 'pki', '--cn', 'CLI Test CA', '--days', '30');
  assert.is(run.status, 0, run.stderr);
  assert.is(
    run.stdout,
    `certificate: ${join(dir, 'pki', 'ca.pem')}\nkey: ${join(dir, 'pki', 'ca-key.pem')}\n`,
  );
  assert.is(mode('pki/ca-key.pem'), KEY_MODE);
  assert.match(readFileSync(join(dir, 'pki/ca-key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  const text = openssl('x509', '-noout', '-text', '-in', 'pki/ca.pem');
  assert.is(text.status, 0);
  assert.match(text.out, /Basic Constraints: critical\s+CA:TRUE/);
  assert.match(text.out, 'NIST CURVE: P-256');
  const [decoded] = decode('pki/ca.pem');
  assert.equal(decoded!.subject, [[['commonName', 'CLI Test CA']]]);
  const days = (Date.parse(decoded!.notAfter!) - Date.parse(decoded!.notBefore!)) / 86_400_000;
  assert.ok(days > 30 && days <= 30 + 1 / 24 + 1e-9, String(days));
});

test('cert ca refuses to overwrite without --force (exit 1) and with it rewrites a 0600 key', () => {
  const refused = rxtls('cert', 'ca', '--out-dir', 'pki');
  assert.is(refused.status, 1);
  assert.is(
    refused.stderr,
    `rxtls: ${join(dir, 'pki', 'ca.pem')} already exists; pass --force to overwrite it\n`,
  );
  const rsa = rxtls('cert', 'ca', '--out-dir', 'rsa', '--key-type', 'rsa', '--rsa-bits', '2048');
  assert.is(rsa.status, 0, rsa.stderr);
  chmodSync(join(dir, 'rsa/ca-key.pem'), 0o644);
  const forced = rxtls('cert', 'ca', '--out-dir', 'rsa', '--key-type', 'rsa', '--force');
  assert.is(forced.status, 0, forced.stderr);
  assert.is(mode('rsa/ca-key.pem'), KEY_MODE);
  const text = openssl('x509', '-noout', '-text', '-in', 'rsa/ca.pem');
  assert.match(text.out, 'Public-Key: (2048 bit)');
  assert.match(decode('rsa/ca.pem')[0]!.subject![0]![0]![1], 'rxtls Development CA');
});

test('cert create with --ca issues a leaf that openssl verifies, with the given SANs', () => {
  const run = rxtls(
    'cert',
    'create',
    '--ca',
    'pki/ca.pem',
    '--ca-key',
    'pki/ca-key.pem',
    '--out-dir',
    'pki',
    '--name',
    'server',
    '--cn',
    'server.test',
    '--san',
    'DNS:server.test,IP:127.0.0.1',
    '--san',
    'email:ops@server.test,URI:https://server.test/',
    '--days',
    '7',
  );
  assert.is(run.status, 0, run.stderr);
  assert.is(
    run.stdout,
    `certificate: ${join(dir, 'pki', 'server.pem')}\nkey: ${join(dir, 'pki', 'server-key.pem')}\n`,
  );
  assert.is(mode('pki/server-key.pem'), KEY_MODE);
  const verify = openssl('verify', '-CAfile', 'pki/ca.pem', 'pki/server.pem');
  assert.is(verify.status, 0, verify.out);
  const [decoded] = decode('pki/server.pem');
  assert.equal(decoded!.issuer, [[['commonName', 'CLI Test CA']]]);
  assert.equal(decoded!.subject, [[['commonName', 'server.test']]]);
  assert.equal(decoded!.subjectAltName, [
    ['DNS', 'server.test'],
    ['IP Address', '127.0.0.1'],
    ['email', 'ops@server.test'],
    ['URI', 'https://server.test/'],
  ]);
});

test('cert create without --ca self-signs, for localhost and loopback addresses by default', () => {
  const run = rxtls('cert', 'create');
  assert.is(run.status, 0, run.stderr);
  assert.is(
    run.stdout,
    `certificate: ${join(dir, 'cert.pem')}\nkey: ${join(dir, 'cert-key.pem')}\n`,
  );
  assert.is(openssl('verify', '-CAfile', 'cert.pem', 'cert.pem').status, 0);
  assert.is.not(openssl('verify', '-CAfile', 'pki/ca.pem', 'cert.pem').status, 0);
  assert.is(rxtls('cert', 'create', '--cn', 'example.test', '--name', 'named').status, 0);
  assert.is(rxtls('cert', 'create', '--cn', '10.1.2.3', '--name', 'address').status, 0);
  assert.is(rxtls('cert', 'create', '--cn', 'Just A Name', '--name', 'plain').status, 0);
  const [local, named, address, plain] = decode(
    'cert.pem',
    'named.pem',
    'address.pem',
    'plain.pem',
  );
  assert.equal(local!.subject, [[['commonName', 'localhost']]]);
  assert.equal(local!.subjectAltName, [
    ['DNS', 'localhost'],
    ['IP Address', '127.0.0.1'],
    ['IP Address', '0:0:0:0:0:0:0:1'],
  ]);
  assert.equal(named!.subjectAltName, [['DNS', 'example.test']]);
  assert.equal(address!.subjectAltName, [['IP Address', '10.1.2.3']]);
  assert.is(plain!.subjectAltName, undefined);
});

test('failures exit 1 with the reason and the path on stderr', () => {
  const cases: [string[], string][] = [
    [
      ['cert', 'create', '--ca', 'missing.pem', '--ca-key', 'pki/ca-key.pem', '--name', 'x'],
      "rxtls: ENOENT: no such file or directory, open 'missing.pem'\n",
    ],
    [
      ['cert', 'create', '--ca', 'pki/server.pem', '--ca-key', 'pki/server-key.pem', '--name', 'x'],
      "rxtls: certificate 'CN=server.test' is not a CA (no basicConstraints CA:TRUE)\n",
    ],
    [
      ['cert', 'create', '--ca', 'pki/ca.pem', '--ca-key', 'rsa/ca-key.pem', '--name', 'x'],
      "rxtls: CA key does not match the CA certificate 'CN=CLI Test CA'\n",
    ],
    [
      ['cert', 'show', 'missing.pem'],
      "rxtls: ENOENT: no such file or directory, open 'missing.pem'\n",
    ],
  ];
  for (const [args, stderr] of cases) {
    const run = rxtls(...args);
    assert.is(run.status, 1, args.join(' '));
    assert.is(run.stderr, stderr);
    assert.is(run.stdout, '');
  }
  assert.not.ok(existsSync(join(dir, 'x.pem')));
});

test('cert show prints decodeCert JSON: an object for one certificate (PEM or DER), an array for a chain', () => {
  const [server, ca] = decode('pki/server.pem', 'pki/ca.pem');
  const one = rxtls('cert', 'show', 'pki/server.pem');
  assert.is(one.status, 0, one.stderr);
  assert.is(one.stdout, `${JSON.stringify(server, null, 2)}\n`);
  writeFileSync(
    join(dir, 'chain.pem'),
    `server\n${readFileSync(join(dir, 'pki/server.pem'), 'utf8')}ca\n${readFileSync(join(dir, 'pki/ca.pem'), 'utf8')}`,
  );
  const chain = rxtls('cert', 'show', 'chain.pem');
  assert.is(chain.status, 0, chain.stderr);
  assert.equal(JSON.parse(chain.stdout), [server, ca]);
  assert.is(openssl('x509', '-in', 'pki/ca.pem', '-outform', 'DER', '-out', 'ca.der').status, 0);
  const der = rxtls('cert', 'show', 'ca.der');
  assert.is(der.status, 0, der.stderr);
  assert.equal(JSON.parse(der.stdout), ca);
  const none = rxtls('cert', 'show', 'pki/ca-key.pem');
  assert.is(none.status, 1);
  assert.is(none.stderr, 'rxtls: no certificate in pki/ca-key.pem\n');
});

test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test.run();
