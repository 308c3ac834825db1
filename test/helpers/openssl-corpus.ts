/**
 * A corpus of certificates made fresh with the `openssl` CLI in a temp dir, covering what
 * `decodeCert` must render as Python does: name attributes and string types, SAN kinds, serial
 * numbers, AIA and CRL distribution points, v1 certificates, UTCTime and GeneralizedTime.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One generated certificate: a name for messages and the path of its PEM file. */
export interface CorpusCert {
  name: string;
  path: string;
}

const REQ_CONFIG = `[req]
distinguished_name = dn
string_mask = utf8only
[dn]
[bmp]
distinguished_name = dn
string_mask = default
[sandir]
CN = Directory Name
O = Example Org
C = DE
`;

const CA_CONFIG = (dir: string) => `[ca]
default_ca = ca_default
[ca_default]
database = ${dir}/index.txt
new_certs_dir = ${dir}/issued
serial = ${dir}/serial
default_md = sha256
policy = anything
unique_subject = no
[anything]
commonName = optional
`;

/** Self-signed (`openssl req -x509`) cases: subject, then extra arguments. */
const REQ_CASES: [name: string, subject: string, extra: string[]][] = [
  ['cn-only', '/CN=example.com', []],
  [
    'unknown-critical-extension',
    '/CN=critical.example',
    ['-addext', '1.3.6.1.4.1.55555.1=critical,DER:05:00'],
  ],
  [
    'full-subject',
    '/C=US/ST=California/L=San Francisco/O=Example, Inc./OU=Web/CN=www.example.com',
    [],
  ],
  [
    'dns-sans',
    '/CN=a.example',
    ['-addext', 'subjectAltName=DNS:a.example,DNS:b.example,DNS:*.c.example'],
  ],
  ['idn-san', '/CN=xn--bcher-kva.example', ['-addext', 'subjectAltName=DNS:xn--bcher-kva.example']],
  [
    'ip-sans',
    '/CN=ip',
    ['-addext', 'subjectAltName=IP:127.0.0.1,IP:10.0.255.1,IP:::1,IP:2001:db8::ff00:42:8329'],
  ],
  [
    'ipv6-full',
    '/CN=ip6',
    ['-addext', 'subjectAltName=IP:fe80:1:2:3:4:5:6:abcd,IP:0:0:0:0:0:0:0:0'],
  ],
  [
    'email-uri',
    '/CN=mail',
    ['-addext', 'subjectAltName=email:user@example.com,URI:https://example.com/a?b=c'],
  ],
  ['dirname-san', '/CN=dir', ['-addext', 'subjectAltName=dirName:sandir']],
  [
    'rid-san',
    '/CN=rid',
    ['-addext', 'subjectAltName=RID:1.2.3.4.5,RID:2.5.4.3,RID:1.3.6.1.5.5.7.3.1'],
  ],
  [
    'othernames',
    '/CN=other',
    [
      '-addext',
      'subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com,' +
        'otherName:1.3.6.1.5.5.7.8.9;UTF8:mailbox@example.com,otherName:1.3.6.1.5.5.7.8.5;UTF8:xmpp@example.com,' +
        'otherName:1.3.6.1.5.5.7.8.7;IA5:_ldap.example.com,otherName:1.3.6.1.5.5.7.8.8;UTF8:realm.example,' +
        'otherName:1.2.3.4;UTF8:unknown,otherName:1.3.6.1.4.1.311.20.2.3;IA5:wrong-type,' +
        'otherName:1.3.6.1.5.5.7.8.7;UTF8:wrong-type,otherName:1.2.3.5;INT:42',
    ],
  ],
  ['multivalue-rdn', '/CN=a+OU=b/O=c+L=d+ST=e', ['-multivalue-rdn']],
  [
    'ev-attributes',
    '/serialNumber=12345/businessCategory=Private Organization/jurisdictionC=US/jurisdictionST=Delaware' +
      '/jurisdictionL=Wilmington/CN=ev.example',
    [],
  ],
  ['unknown-attribute', '/1.2.3.4.5=custom value/2.5.4.97=VATDE-123/CN=unknown', []],
  ['email-address', '/emailAddress=admin@example.com/CN=mail', []],
  ['utf8-values', '/CN=Bücher ☃ 日本/O=Ωmega 😀', ['-utf8']],
  ['bmp-t61-values', '/CN=café Ωmega/O=naïve', ['-utf8', '-section', 'bmp']],
  ['domain-components', '/DC=com/DC=example/UID=jdoe/CN=J. Doe', []],
  ['serial-zero', '/CN=s0', ['-set_serial', '0']],
  ['serial-one', '/CN=s1', ['-set_serial', '1']],
  ['serial-leading-zero', '/CN=s80', ['-set_serial', '0x80']],
  ['serial-20-bytes', '/CN=s20', ['-set_serial', `0x7f${'ab'.repeat(19)}`]],
  ['serial-40-bytes', '/CN=s40', ['-set_serial', `0x7f${'cd'.repeat(39)}`]],
  ['serial-negative', '/CN=sneg', ['-set_serial', '-300']],
  [
    'aia',
    '/CN=aia',
    [
      '-addext',
      'authorityInfoAccess=OCSP;URI:http://ocsp.example/,caIssuers;URI:http://ca.example/ca.der,OCSP;URI:http://ocsp2.example/',
    ],
  ],
  [
    'aia-ca-only',
    '/CN=aia2',
    [
      '-addext',
      'authorityInfoAccess=caIssuers;URI:http://ca.example/x.crt,caIssuers;email:ca@example.com',
    ],
  ],
  [
    'crl-dp',
    '/CN=crl',
    ['-addext', 'crlDistributionPoints=URI:http://crl.example/a.crl,URI:ldap://crl.example/cn=x'],
  ],
  [
    'everything',
    '/C=GB/O=All/CN=all.example',
    [
      '-addext',
      'subjectAltName=DNS:all.example,IP:192.0.2.1,email:a@all.example',
      '-addext',
      'authorityInfoAccess=OCSP;URI:http://ocsp.all/',
      '-addext',
      'crlDistributionPoints=URI:http://crl.all/x.crl',
      '-addext',
      'keyUsage=critical,digitalSignature',
      '-addext',
      'extendedKeyUsage=serverAuth',
    ],
  ],
  ['ca-cert', '/CN=Test Root CA', ['-addext', 'basicConstraints=critical,CA:TRUE']],
  ['empty-subject', '/', ['-addext', 'subjectAltName=critical,DNS:nosubject.example']],
];

/** `openssl ca` cases: validity dates the req command cannot set. */
const CA_CASES: [name: string, start: string, end: string][] = [
  ['pre-2000', '19900101000000Z', '19991231235959Z'],
  ['utc-to-generalized', '20000229123456Z', '20600101000000Z'],
  ['generalized-both', '20500101000000Z', '99991231235959Z'],
  ['utc-boundary', '19500101000000Z', '20491231235959Z'],
];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

/** Builds the corpus in a fresh temp dir. Remove `dir` when done. */
export function buildOpensslCorpus(): { dir: string; certs: CorpusCert[] } {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-corpus-'));
  writeFileSync(join(dir, 'req.cnf'), REQ_CONFIG);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem'], dir);
  const certs: CorpusCert[] = [];
  for (const [name, subject, extra] of REQ_CASES) {
    const section = extra.indexOf('-section');
    const args = section === -1 ? extra : [...extra.slice(0, section), ...extra.slice(section + 2)];
    const sectionArgs = section === -1 ? [] : ['-section', extra[section + 1]!];
    openssl(
      [
        'req',
        '-x509',
        '-config',
        'req.cnf',
        ...sectionArgs,
        '-key',
        'key.pem',
        '-subj',
        subject,
        '-days',
        '30',
        ...args,
        '-out',
        `${name}.pem`,
      ],
      dir,
    );
    certs.push({ name, path: join(dir, `${name}.pem`) });
  }
  // v1 certificates: `x509 -req` without extensions.
  openssl(
    [
      'req',
      '-new',
      '-config',
      'req.cnf',
      '-key',
      'key.pem',
      '-subj',
      '/O=Version One/CN=v1.example',
      '-out',
      'v1.csr',
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'v1.csr',
      '-key',
      'key.pem',
      '-days',
      '5',
      '-set_serial',
      '4660',
      '-out',
      'v1.pem',
    ],
    dir,
  );
  certs.push({ name: 'v1', path: join(dir, 'v1.pem') });
  const ca = join(dir, 'ca');
  mkdirSync(join(ca, 'issued'), { recursive: true });
  writeFileSync(join(ca, 'index.txt'), '');
  writeFileSync(join(ca, 'serial'), '1000\n');
  writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG(ca));
  for (const [name, start, end] of CA_CASES) {
    openssl(
      [
        'ca',
        '-batch',
        '-config',
        'ca.cnf',
        '-selfsign',
        '-keyfile',
        'key.pem',
        '-in',
        'v1.csr',
        '-preserveDN',
        '-notext',
        '-startdate',
        start,
        '-enddate',
        end,
        '-out',
        `${name}.pem`,
      ],
      dir,
    );
    certs.push({ name, path: join(dir, `${name}.pem`) });
  }
  return { dir, certs };
}

/** Writes the corpus's certificates one after another, with text around them, as a chain file. */
export function writeChainFile(dir: string, certs: CorpusCert[]): string {
  const path = join(dir, 'chain.pem');
  const parts = certs.map((c, i) => `Certificate ${i}: ${c.name}\n${readFileSync(c.path, 'utf8')}`);
  writeFileSync(path, `${parts.join('\n')}trailing text\n`);
  return path;
}

/** Removes a corpus directory. */
export function removeCorpus(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
