/**
 * The certificates and CRLs a context trusts, loaded the ways Python's `load_verify_locations`
 * loads them: a PEM file of certificates and CRLs, an OpenSSL hashed directory, or in-memory
 * PEM text or DER bytes.
 */
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SSLError, ValueError } from '../errors/errors.js';

/** One PEM block: its label (`CERTIFICATE`, `X509 CRL`...) and its DER bytes. */
export interface PemBlock {
  label: string;
  der: Buffer;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order; text around the blocks is ignored. */
export function readPemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const body = (match[2] ?? '').replace(/\s+/g, '');
    blocks.push({ label: match[1] ?? '', der: Buffer.from(body, 'base64') });
  }
  return blocks;
}

/** An OpenSSL hashed-directory entry: `<8 hex>.<n>` for certificates, `.r<n>` for CRLs. */
const HASHED_NAME = /^[0-9a-f]{8}\.(r?)\d+$/;

/** `{ x509, crl, x509_ca }` as Python's `cert_store_stats()`. */
export interface CertStoreStats {
  x509: number;
  crl: number;
  x509_ca: number;
}

/** Trusted certificates and CRLs, without duplicates, in load order. */
export class TrustStore {
  #certs = new Map<string, Buffer>();
  #crls = new Map<string, Buffer>();

  /** Trusted certificates, DER. */
  get certificates(): Buffer[] {
    return [...this.#certs.values()];
  }

  /** CRLs, DER. */
  get crls(): Buffer[] {
    return [...this.#crls.values()];
  }

  /** Python's `cert_store_stats()`. */
  stats(): CertStoreStats {
    const certs = this.certificates;
    return { x509: certs.length, crl: this.#crls.size, x509_ca: certs.filter(isCa).length };
  }

  /** The CA certificates, DER (Python's `get_ca_certs` lists only those). */
  caCertificates(): Buffer[] {
    return this.certificates.filter(isCa);
  }

  /**
   * Loads a PEM file of certificates and CRLs. SSLError NO_CERTIFICATE_OR_CRL_FOUND when it
   * holds neither, as OpenSSL reports it; Node's ENOENT/EACCES errors pass through.
   */
  loadFile(path: string): void {
    const text = readFileSync(path, 'latin1');
    if (this.#addPem(text) === 0) {
      throw new SSLError('no certificate or crl found', {
        library: 'X509',
        reason: 'NO_CERTIFICATE_OR_CRL_FOUND',
      });
    }
  }

  /** Loads every hashed entry of an OpenSSL CA directory (`c_rehash` / `openssl rehash`). */
  loadDirectory(path: string): void {
    for (const name of readdirSync(path).sort()) {
      if (!HASHED_NAME.test(name)) continue;
      try {
        this.#addPem(readFileSync(join(path, name), 'latin1'));
      } catch {
        // OpenSSL skips unreadable entries of a hashed directory; so does this.
      }
    }
  }

  /**
   * Loads in-memory data: PEM text of certificates and CRLs, or DER bytes of one or more
   * concatenated certificates. The errors are Python's.
   */
  loadData(data: string | Uint8Array): void {
    if (typeof data === 'string') {
      if (data.length === 0) throw new ValueError('Empty certificate data');
      if (this.#addPem(data) === 0) {
        throw new SSLError('no start line: cadata does not contain a certificate');
      }
      return;
    }
    if (data.length === 0) throw new ValueError('Empty certificate data');
    let offset = 0;
    const bytes = Buffer.from(data);
    while (offset < bytes.length) {
      const length = derLength(bytes, offset);
      if (length === undefined) {
        throw new SSLError('not enough data: cadata does not contain a certificate');
      }
      this.#addDer(bytes.subarray(offset, offset + length));
      offset += length;
    }
  }

  /** A copy, so a context's store can change without touching wrapped connections. */
  clone(): TrustStore {
    const copy = new TrustStore();
    copy.#certs = new Map(this.#certs);
    copy.#crls = new Map(this.#crls);
    return copy;
  }

  #addPem(text: string): number {
    let added = 0;
    for (const block of readPemBlocks(text)) {
      if (block.label === 'X509 CRL') {
        this.#crls.set(block.der.toString('base64'), block.der);
        added += 1;
      } else if (block.label === 'CERTIFICATE' || block.label === 'TRUSTED CERTIFICATE') {
        this.#addDer(block.der);
        added += 1;
      }
    }
    return added;
  }

  #addDer(der: Buffer): void {
    try {
      new X509Certificate(der);
    } catch (error) {
      throw new SSLError('not enough data: cadata does not contain a certificate', {
        cause: error,
      });
    }
    this.#certs.set(der.toString('base64'), Buffer.from(der));
  }
}

/** Whether OpenSSL's X509_check_ca would call this a CA: CA:TRUE, or a v1 self-signed root. */
function isCa(der: Buffer): boolean {
  const cert = new X509Certificate(der);
  if (cert.ca) return true;
  return cert.subject === cert.issuer && !der.includes(Buffer.from([0xa0, 0x03, 0x02, 0x01]));
}

/** The total length of the DER element at `offset`, or undefined if it is truncated. */
function derLength(bytes: Buffer, offset: number): number | undefined {
  if (offset + 2 > bytes.length) return undefined;
  const first = bytes[offset + 1] as number;
  if (first < 0x80) return offset + 2 + first <= bytes.length ? 2 + first : undefined;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || offset + 2 + count > bytes.length) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
  const total = 2 + count + length;
  return offset + total <= bytes.length ? total : undefined;
}
