/**
 * Reloading a context's certificate, key, CA and CRL files while it serves
 * (docs/architecture.md, Live certificates). Everything is read and checked before anything is
 * swapped: every PEM file complete, each key decrypting and matching its certificate, every chain
 * parsing, the CA file holding a certificate or a CRL. Only then do the context's chains (and
 * trust store) change, in one step, so a later handshake sees either all the old material or all
 * the new, and a handshake already under way keeps the frozen config it started with. A file that
 * fails leaves the context as it was.
 */
import { readFileSync } from 'node:fs';
import type { X509Certificate } from 'node:crypto';
import {
  type ContextCredentials,
  credentialsFromFiles,
  type Password,
  withCredentials,
} from './credentials.js';
import { securityLevelOf } from './key-security.js';
import type { SSLContext } from './ssl-context.js';
import { TrustStore } from './trust-store.js';

/** One certificate chain and its key, as loadCertChain takes them. */
export interface CertificateFiles {
  readonly certfile: string;
  /** Default: the key sits in `certfile`. */
  readonly keyfile?: string | null;
  readonly password?: Password;
}

/** The files a context's material comes from. */
export interface CredentialFiles {
  /** The chains, one per key type (RSA, ECDSA...), in load order; at least one. */
  readonly certs: readonly CertificateFiles[];
  /** CA certificates (and CRLs) to trust. Given CA or CRL files replace the whole trust store. */
  readonly cafile?: string;
  /** A hashed CA directory (`openssl rehash`). */
  readonly capath?: string;
  /** CRL files, PEM. */
  readonly crlfiles?: readonly string[];
}

/** What a reload put in service, per chain. */
export interface CertificateSummary {
  /** The key type (`rsa`, `ec`, `ed25519`...). */
  readonly keyType: string;
  /** The leaf's subject, as node:crypto prints it (`CN=localhost`). */
  readonly subject: string;
  /** The leaf's notAfter, as Python prints it (`Jan  5 09:34:43 2018 GMT`). */
  readonly notAfter: string;
  /** SHA-256 fingerprint of the leaf, colon-separated hex. */
  readonly fingerprint256: string;
}

/** A reload that went through: the files read and what now serves new handshakes. */
export interface CredentialReload {
  readonly kind: 'reloaded';
  readonly files: readonly string[];
  readonly certificates: readonly CertificateSummary[];
  /** Whether the trust store (CA and CRL files) was replaced too. */
  readonly trustReloaded: boolean;
}

/** A reload refused: the context kept its material. */
export interface CredentialReloadFailure {
  readonly kind: 'failed';
  readonly files: readonly string[];
  readonly error: CredentialReloadError;
}

export type CredentialReloadEvent = CredentialReload | CredentialReloadFailure;

/**
 * Why a reload was refused. The message names the file and the reason (never key material); the
 * original error (an SSLError as loadCertChain raises it, or a file system error) is `cause`.
 */
export class CredentialReloadError extends Error {
  override name = 'CredentialReloadError';
  readonly code = 'ERR_RXTLS_CREDENTIAL_RELOAD';
  /** The file that failed. */
  readonly file: string;
  constructor(file: string, reason: string, cause?: unknown) {
    super(`could not reload ${file}: ${reason}; the previous certificates stay in service`, {
      cause,
    });
    this.file = file;
  }
}

/** Every file a reload reads, in order. */
export function credentialFilePaths(files: CredentialFiles): string[] {
  const paths = files.certs.flatMap((c) => (c.keyfile ? [c.certfile, c.keyfile] : [c.certfile]));
  if (files.cafile) paths.push(files.cafile);
  if (files.capath) paths.push(files.capath);
  paths.push(...(files.crlfiles ?? []));
  return [...new Set(paths)];
}

const PEM_END = /-----END [A-Z0-9 ]+-----\s*$/;

/**
 * A file a writer has not finished ends before its last END line: refuse it, whatever an
 * OpenSSL-compatible parser would make of the blocks before (a chain cut at a BEGIN line parses
 * as a shorter chain).
 */
function checkComplete(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (error) {
    throw new CredentialReloadError(path, (error as Error).message, error);
  }
  if (!text.includes('-----BEGIN ')) return; // DER, checked by its parser
  if (!PEM_END.test(text) || countOf(text, '-----BEGIN ') !== countOf(text, '-----END ')) {
    throw new CredentialReloadError(
      path,
      'the PEM file is incomplete (no END line after its last BEGIN)',
    );
  }
}

function countOf(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Each chain read and checked, in order, as loadCertChain would load them into a fresh context. */
function readCredentials(files: CredentialFiles, level: number): readonly ContextCredentials[] {
  let credentials: readonly ContextCredentials[] = [];
  for (const pair of files.certs) {
    checkComplete(pair.certfile);
    if (pair.keyfile) checkComplete(pair.keyfile);
    try {
      const loaded = credentialsFromFiles(pair.certfile, pair.keyfile, pair.password, level);
      credentials = withCredentials(credentials, loaded);
    } catch (error) {
      const file = pair.keyfile ? `${pair.certfile} (key ${pair.keyfile})` : pair.certfile;
      throw new CredentialReloadError(file, (error as Error).message, error);
    }
  }
  return credentials;
}

function readTrust(files: CredentialFiles): TrustStore | undefined {
  const sources = [files.cafile, ...(files.crlfiles ?? [])].filter((f) => f !== undefined);
  if (sources.length === 0 && !files.capath) return undefined;
  const trust = new TrustStore();
  for (const file of sources) {
    checkComplete(file);
    try {
      trust.loadFile(file);
    } catch (error) {
      throw new CredentialReloadError(file, (error as Error).message, error);
    }
  }
  if (files.capath) {
    try {
      trust.loadDirectory(files.capath);
    } catch (error) {
      throw new CredentialReloadError(files.capath, (error as Error).message, error);
    }
  }
  return trust;
}

export function summary(credentials: ContextCredentials): CertificateSummary {
  const leaf: X509Certificate = credentials.leaf;
  return {
    keyType: credentials.keyType,
    subject: leaf.subject,
    notAfter: leaf.validTo,
    fingerprint256: leaf.fingerprint256,
  };
}

/**
 * Reloads `context`'s chains (and, when CA or CRL files are named, its trust store) from `files`,
 * for new handshakes only: the call for a SIGHUP handler. Throws {@link CredentialReloadError},
 * leaving the context as it was, when any file is missing, incomplete or refused by
 * loadCertChain's checks (a key that does not match, a key too small, a bad chain).
 */
export function reloadCredentials(context: SSLContext, files: CredentialFiles): CredentialReload {
  if (files.certs.length === 0) {
    throw new CredentialReloadError('(no file)', 'no certificate files to reload');
  }
  const level = securityLevelOf(context.engineConfig().ciphers);
  const credentials = readCredentials(files, level);
  const trust = readTrust(files);
  context.replaceMaterial(credentials, trust);
  return {
    kind: 'reloaded',
    files: credentialFilePaths(files),
    certificates: credentials.map(summary),
    trustReloaded: trust !== undefined,
  };
}
