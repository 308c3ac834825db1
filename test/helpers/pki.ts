/**
 * A fresh PKI per test run (committed certificates expire and break the suite on a date): a CA,
 * an unrelated CA, server and client leaves (EC and RSA), an expired and a not-yet-valid leaf, a
 * self-signed leaf, all written to a temporary directory so file-based APIs can load them. Each certificate
 * also comes as DER, and the server's key also as an encrypted PKCS#8 file (`server-enc-key`,
 * passphrase `secret`). Every test that needs a working PKI takes it from here: contexts through
 * {@link contextPair} / {@link useContextPair}, engine-level tests through {@link engineConfig}.
 * (openssl-corpus.ts is not a PKI: it is certificates made by the `openssl` command itself, as
 * input whose rendering decodeCert must match.)
 */
import 'reflect-metadata';
import { createPrivateKey, X509Certificate as NodeX509Certificate, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CertificateAndKey,
  createCertificateAuthority,
  createSelfSignedCertificate,
  issueCertificate,
} from '../../src/x509/cert-factory.js';
import { importSigningKey } from '../../src/x509/key-pair.js';
import { SSLContext } from '../../src/context/ssl-context.js';
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from '../../src/constants/ssl-constants.js';
import type { EngineConfig } from '../../src/transport/sansio/engine.js';
import { X509Certificate, X509CrlGenerator } from '@peculiar/x509';
import type { Test } from 'uvu';

/** One certificate of the PKI: PEM certificate and key (as cert-factory makes them) and the DER. */
export interface PkiCert extends CertificateAndKey {
  /** The certificate's DER, as engines report peer certificates. */
  readonly der: Buffer;
}

export interface Pki {
  dir: string;
  ca: PkiCert;
  otherCa: PkiCert;
  server: PkiCert;
  serverRsa: PkiCert;
  client: PkiCert;
  untrustedClient: PkiCert;
  expired: PkiCert;
  notYetValid: PkiCert;
  alt: PkiCert;
  /** A self-signed leaf for localhost (CA:FALSE), trusted by nobody: verification code 18. */
  selfSigned: PkiCert;
  /**
   * Path of `<name>.pem` (certificate), `<name>-key.pem`, `<name>-combined.pem` (key then
   * certificate) or `server-enc-key.pem` (the server's key, encrypted with the passphrase `secret`).
   */
  path(name: string): string;
  remove(): void;
}

/** The passphrase of `server-enc-key.pem`. */
const ENCRYPTED_KEY_PASSPHRASE = 'secret';

const DAY = 24 * 60 * 60 * 1000;

export async function makePki(): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-pki-'));
  const ca = await createCertificateAuthority({ subject: 'CN=rxtls test CA' });
  const otherCa = await createCertificateAuthority({ subject: 'CN=unrelated CA' });
  const serverNames = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] };
  const server = await issueCertificate(ca, {
    subject: 'CN=localhost',
    subjectAltNames: serverNames,
  });
  const serverRsa = await issueCertificate(ca, {
    subject: 'CN=localhost',
    subjectAltNames: serverNames,
    keyType: 'rsa',
  });
  const alt = await issueCertificate(ca, {
    subject: 'CN=alt.test',
    subjectAltNames: { dns: ['alt.test'] },
  });
  const selfSigned = await createSelfSignedCertificate({
    subject: 'CN=localhost',
    subjectAltNames: serverNames,
  });
  const client = await issueCertificate(ca, { subject: 'CN=client' });
  const untrustedClient = await issueCertificate(otherCa, { subject: 'CN=stranger' });
  const now = Date.now();
  const expired = await issueCertificate(ca, {
    subject: 'CN=localhost',
    subjectAltNames: serverNames,
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now - DAY),
  });
  const notYetValid = await issueCertificate(ca, {
    subject: 'CN=localhost',
    subjectAltNames: serverNames,
    notBefore: new Date(now + DAY),
    notAfter: new Date(now + 30 * DAY),
  });
  const all = {
    ca: withDer(ca),
    otherCa: withDer(otherCa),
    server: withDer(server),
    serverRsa: withDer(serverRsa),
    client: withDer(client),
    untrustedClient: withDer(untrustedClient),
    expired: withDer(expired),
    notYetValid: withDer(notYetValid),
    alt: withDer(alt),
    selfSigned: withDer(selfSigned),
  };
  for (const [name, pair] of Object.entries(all)) {
    writeFileSync(join(dir, `${name}.pem`), pair.cert);
    writeFileSync(join(dir, `${name}-key.pem`), pair.key, { mode: 0o600 });
    writeFileSync(join(dir, `${name}-combined.pem`), pair.key + pair.cert, { mode: 0o600 });
  }
  // What `openssl pkey -aes256` writes: PKCS#8, PBES2 with PBKDF2 and AES-256-CBC.
  const encryptedKey = createPrivateKey(server.key).export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: ENCRYPTED_KEY_PASSPHRASE,
  });
  writeFileSync(join(dir, 'server-enc-key.pem'), encryptedKey, { mode: 0o600 });
  return {
    dir,
    ...all,
    path: (name: string) => join(dir, `${name}.pem`),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function withDer(pair: CertificateAndKey): PkiCert {
  return { ...pair, der: new NodeX509Certificate(pair.cert).raw };
}

/** A CRL signed by `ca` revoking `revoked` (certificates, PEM), as PEM. */
export async function makeCrl(
  ca: CertificateAndKey,
  revoked: string[],
  validity: { thisUpdate?: Date; nextUpdate?: Date } = {},
): Promise<string> {
  const signing = await importSigningKey(ca.key);
  const now = Date.now();
  const crl = await X509CrlGenerator.create(
    {
      issuer: new X509Certificate(ca.cert).subjectName,
      thisUpdate: validity.thisUpdate ?? new Date(now - DAY),
      nextUpdate: validity.nextUpdate ?? new Date(now + 30 * DAY),
      entries: revoked.map((pem) => ({
        serialNumber: new X509Certificate(pem).serialNumber,
        revocationDate: new Date(now - DAY),
      })),
      signingAlgorithm: signing.algorithm,
      signingKey: signing.privateKey,
    },
    globalThis.crypto,
  );
  // OpenSSL's label is X509 CRL (PEM_STRING_X509_CRL).
  return crl
    .toString('pem')
    .replace(/-----(BEGIN|END) [A-Z0-9 ]*CRL-----/g, '-----$1 X509 CRL-----');
}

/** The contexts most stream tests share: a server for `localhost` and a client trusting the CA. */
export function contextPair(pki: Pki): { serverCtx: SSLContext; clientCtx: SSLContext } {
  const serverCtx = new SSLContext(PROTOCOL_TLS_SERVER);
  serverCtx.loadCertChain(pki.path('server-combined'));
  const clientCtx = new SSLContext(PROTOCOL_TLS_CLIENT);
  clientCtx.loadVerifyLocations({ cafile: pki.path('ca') });
  return { serverCtx, clientCtx };
}

/**
 * Makes a PKI before `suite`'s tests and removes it after them. The object is filled in by the
 * suite's `before`: read it inside tests and in hooks registered after this call. Hooks that must
 * run before the PKI is removed (stopping peers that use its files) are registered before it.
 */
export function usePki(suite: Test): Pki {
  const pki = {} as Pki;
  suite.before(async () => {
    Object.assign(pki, await makePki());
  });
  // remove is there only if makePki got that far.
  suite.after(() => pki.remove?.());
  return pki;
}

/** A test file's PKI and its server and client contexts (see {@link useContextPair}). */
export interface ContextPairFixture {
  readonly pki: Pki;
  readonly serverCtx: SSLContext;
  readonly clientCtx: SSLContext;
}

/**
 * Makes a PKI and a context pair before `suite`'s tests and removes the PKI after them. The
 * fields are set once the suite's `before` has run: read them inside the tests.
 */
export function useContextPair(suite: Test): ContextPairFixture {
  const pki = usePki(suite);
  const fixture = { pki } as { pki: Pki; serverCtx: SSLContext; clientCtx: SSLContext };
  suite.before(() => {
    Object.assign(fixture, contextPair(pki));
  });
  return fixture;
}

/** Python 3.11's default SSLContext options (engine-level tests compare against python3). */
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
    credentials: [],
    ciphers: undefined,
    ciphersuites: undefined,
    groups: undefined,
    dhParamsPem: undefined,
    alpnProtocols: undefined,
    numTickets: 2,
    keylog: undefined,
    sni: undefined,
    clientHello: undefined,
    pskClient: undefined,
    pskServer: undefined,
    pskIdentityHint: undefined,
    peerCheck: undefined,
    postHandshakeAuth: false,
    ticketKeys: [randomBytes(48)],
    sessionIdContext: Buffer.from('rxtls'),
    ...overrides,
  });
}
