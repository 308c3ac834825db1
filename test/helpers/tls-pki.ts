/**
 * A throwaway PKI made with the `openssl` command in a temp dir: a CA, EC and RSA server
 * certificates, a client certificate, an expired one and one from an unknown CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineConfig } from '../../src/transport/sansio/engine.js';

/** PEM text of one certificate with its key, and the DER of the certificate. */
export interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
  readonly der: Buffer;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Everything a test needs; `dispose()` removes the directory. */
export interface Pki {
  readonly dir: string;
  readonly ca: Issued;
  readonly ecServer: Issued;
  readonly rsaServer: Issued;
  readonly sniServer: Issued;
  readonly client: Issued;
  readonly expired: Issued;
  readonly stranger: Issued;
  dispose(): void;
}

const CA_CONFIG = `[ ca ]
default_ca = CA_default
[ CA_default ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
copy_extensions = copy
unique_subject = no
[ policy_any ]
commonName = supplied
`;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function read(dir: string, name: string, keyName: string): Issued {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${keyName}.key`);
  const certPem = readFileSync(certFile, 'utf8');
  const der = Buffer.from(certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64');
  return { certPem, keyPem: readFileSync(keyFile, 'utf8'), der, certFile, keyFile };
}

function key(dir: string, name: string, kind: 'ec' | 'rsa'): void {
  const options =
    kind === 'ec'
      ? ['-pkeyopt', 'ec_paramgen_curve:prime256v1']
      : ['-pkeyopt', 'rsa_keygen_bits:2048'];
  openssl(dir, ['genpkey', '-algorithm', kind.toUpperCase(), ...options, '-out', `${name}.key`]);
}

function issue(
  dir: string,
  name: string,
  cn: string,
  san: string,
  kind: 'ec' | 'rsa',
  dates?: [string, string],
): void {
  key(dir, name, kind);
  openssl(dir, [
    'req',
    '-new',
    '-key',
    `${name}.key`,
    '-subj',
    `/CN=${cn}`,
    '-addext',
    `subjectAltName=${san}`,
    '-out',
    `${name}.csr`,
  ]);
  const validity =
    dates === undefined ? ['-days', '30'] : ['-startdate', dates[0], '-enddate', dates[1]];
  openssl(dir, [
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-cert',
    'ca.pem',
    '-keyfile',
    'ca.key',
    '-in',
    `${name}.csr`,
    '-out',
    `${name}.pem`,
    '-notext',
    ...validity,
  ]);
}

/** Generates the PKI (a few hundred milliseconds with RSA). */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-pki-'));
  writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  key(dir, 'ca', 'ec');
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=rxtls test CA',
    '-days',
    '30',
    '-out',
    'ca.pem',
  ]);
  issue(dir, 'ec', 'localhost', 'DNS:localhost,IP:127.0.0.1', 'ec');
  issue(dir, 'rsa', 'localhost', 'DNS:localhost', 'rsa');
  issue(dir, 'sni', 'sni.example', 'DNS:sni.example', 'ec');
  issue(dir, 'client', 'client', 'DNS:client', 'ec');
  issue(dir, 'expired', 'localhost', 'DNS:localhost', 'ec', ['20200101000000Z', '20200201000000Z']);
  key(dir, 'stranger', 'ec');
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'stranger.key',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
    '-days',
    '30',
    '-out',
    'stranger.pem',
  ]);
  return {
    dir,
    ca: read(dir, 'ca', 'ca'),
    ecServer: read(dir, 'ec', 'ec'),
    rsaServer: read(dir, 'rsa', 'rsa'),
    sniServer: read(dir, 'sni', 'sni'),
    client: read(dir, 'client', 'client'),
    expired: read(dir, 'expired', 'expired'),
    stranger: read(dir, 'stranger', 'stranger'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Python 3.11's default SSLContext options (what both test files compare against). */
export const PYTHON_OPTIONS = 0x82520050;

/**
 * A client EngineConfig with Python's defaults trusting `pki`'s CA (TLS 1.2 to 1.3, CERT_REQUIRED,
 * hostname checks), with `overrides` on top: engine-level tests build every config from this.
 */
export function engineConfig(pki: Pki, overrides: Partial<EngineConfig> = {}): EngineConfig {
  return Object.freeze({
    serverSide: false,
    options: PYTHON_OPTIONS,
    minVersion: 0x0303,
    maxVersion: 0x0304,
    verifyMode: 2,
    verifyFlags: 0x8000,
    checkHostname: true,
    hostnameChecksCommonName: false,
    caCerts: [pki.ca.der],
    crls: [],
    credentials: undefined,
    ciphers: undefined,
    ciphersuites: undefined,
    groups: undefined,
    dhParamsPem: undefined,
    alpnProtocols: undefined,
    numTickets: 2,
    keylog: undefined,
    sni: undefined,
    pskClient: undefined,
    pskServer: undefined,
    pskIdentityHint: undefined,
    peerCheck: undefined,
    postHandshakeAuth: false,
    sessionCacheId: {},
    ...overrides,
  });
}
