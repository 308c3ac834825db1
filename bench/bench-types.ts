/**
 * What the benchmark compares: two ways to run TLS between a client and a server in one
 * process, each able to make one handshake and one bulk transfer on demand.
 */
import type { CertificateAndKey } from '../src/x509/cert-factory.js';

/** The certificates both paths use: a CA and a leaf for `localhost` it issued. */
export interface BenchPki {
  readonly ca: CertificateAndKey;
  readonly leaf: CertificateAndKey;
}

/** One TLS implementation under test. */
export interface TlsPath {
  readonly name: string;
  /** One full handshake, both sides complete, then both connections torn down. */
  handshake(): Promise<void>;
  /** `"TLSv1.3 TLS_AES_256_GCM_SHA384"`: what a handshake negotiated, to show both agree. */
  describe(): Promise<string>;
  /** A fresh connection, `total` bytes client to server in writes of `chunk`, then torn down. */
  bulk(total: number, chunk: Buffer): Promise<void>;
  /** Releases what the path holds (a listening server). */
  close(): Promise<void>;
}
