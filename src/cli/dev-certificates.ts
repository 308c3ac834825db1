/**
 * Zero-configuration development certificates for `rxtls serve` and the demo: a CA and a leaf
 * for localhost, 127.0.0.1 and ::1, kept under `.rxtls/` in the working directory and reused on
 * the next start, so a client told to trust `.rxtls/ca.pem` once keeps working.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { createCertificateAuthority, issueCertificate } from '../x509/cert-factory.js';

/** The directory the development certificates live in, relative to the working directory. */
export const DEV_CERT_DIR = '.rxtls';

/** Private keys are readable by their owner only. */
const KEY_FILE_MODE = 0o600;
const CERT_FILE_MODE = 0o644;

/** Where the development certificates are, and whether this call made them. */
export interface DevCertificates {
  dir: string;
  /** The CA certificate clients should trust (`curl --cacert`, `rxtls connect --cafile`). */
  ca: string;
  caKey: string;
  /** The server's certificate for localhost, 127.0.0.1 and ::1, and its key. */
  cert: string;
  key: string;
  /** True when they were created now, false when found from an earlier run. */
  created: boolean;
}

/**
 * Returns the development certificates under `dir` (default `.rxtls` in the working directory),
 * creating the CA and the localhost leaf when any of the four files is missing.
 */
export async function ensureDevCertificates(
  dir: string = resolve(DEV_CERT_DIR),
): Promise<DevCertificates> {
  const paths = {
    dir,
    ca: resolve(dir, 'ca.pem'),
    caKey: resolve(dir, 'ca-key.pem'),
    cert: resolve(dir, 'localhost.pem'),
    key: resolve(dir, 'localhost-key.pem'),
  };
  const files = [paths.ca, paths.caKey, paths.cert, paths.key];
  if (files.every((file) => existsSync(file))) return { ...paths, created: false };
  // A partial set cannot be trusted to match: make all four again.
  const ca = await createCertificateAuthority({ subject: 'CN=rxtls Development CA' });
  const leaf = await issueCertificate(ca, {
    subject: 'CN=localhost',
    subjectAltNames: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] },
  });
  mkdirSync(dir, { recursive: true });
  writeFile(paths.ca, ca.cert, CERT_FILE_MODE);
  writeFile(paths.caKey, ca.key, KEY_FILE_MODE);
  writeFile(paths.cert, leaf.cert, CERT_FILE_MODE);
  writeFile(paths.key, leaf.key, KEY_FILE_MODE);
  return { ...paths, created: true };
}

function writeFile(path: string, text: string, mode: number): void {
  writeFileSync(path, text, { mode });
  // mode applies only when a file is created; a rewritten key must not keep a laxer one.
  chmodSync(path, mode);
}

/** `path` relative to the working directory when it is inside it (for commands to copy). */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || rel.startsWith(sep) ? path : rel;
}
