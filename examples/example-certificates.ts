/**
 * Fresh certificates for the examples: a CA and leaves issued by it, written to a temporary
 * directory (removed by `remove()`), so every example runs without checked-in keys.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCertificateAuthority, issueCertificate } from '../src/x509/cert-factory.js';

/** Where a certificate and its key were written. */
export interface CertificateFiles {
  certfile: string;
  keyfile: string;
}

/** A CA and its leaves on disk. */
export interface ExampleCertificates {
  dir: string;
  /** The CA certificate: what clients trust (`--cacert`, `cafile`). */
  caFile: string;
  /** The files of the leaf issued under `name`. */
  files(name: string): CertificateFiles;
  /** Deletes the directory. */
  remove(): void;
}

const IP_ADDRESS = /^[\d.]+$|:/;

/** The names a leaf is valid for, and its key type (EC P-256 unless `rsa`). */
export type LeafSpec =
  | readonly string[]
  | { readonly hosts: readonly string[]; readonly keyType: 'ec' | 'rsa' };

/**
 * Issues one leaf per entry of `leaves` (name -> DNS names or IP addresses it is valid for, or
 * those and a key type; an empty list makes a client certificate named CN=<name>).
 *
 * @example
 * ```ts
 * const certs = await exampleCertificates({ server: ['localhost', '127.0.0.1'], alice: [] });
 * ctx.loadCertChain(certs.files('server').certfile, certs.files('server').keyfile);
 * ```
 */
export async function exampleCertificates(
  leaves: Record<string, LeafSpec>,
): Promise<ExampleCertificates> {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-example-'));
  const ca = await createCertificateAuthority({ subject: 'CN=rxtls example CA' });
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert);
  const files = new Map<string, CertificateFiles>();
  for (const [name, spec] of Object.entries(leaves)) {
    const hosts = 'hosts' in spec ? spec.hosts : (spec as readonly string[]);
    const leaf = await issueCertificate(ca, {
      keyType: 'keyType' in spec ? spec.keyType : 'ec',
      subject: `CN=${hosts[0] ?? name}`,
      ...(hosts.length > 0
        ? {
            subjectAltNames: {
              dns: hosts.filter((h) => !IP_ADDRESS.test(h)),
              ip: hosts.filter((h) => IP_ADDRESS.test(h)),
            },
          }
        : {}),
    });
    const certfile = join(dir, `${name}.pem`);
    const keyfile = join(dir, `${name}-key.pem`);
    writeFileSync(certfile, leaf.cert);
    writeFileSync(keyfile, leaf.key, { mode: 0o600 });
    files.set(name, { certfile, keyfile });
  }
  return {
    dir,
    caFile,
    files(name) {
      const found = files.get(name);
      if (!found) throw new Error(`no certificate named ${name}`);
      return found;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Whether the module at `url` is the program node was started with (not an import). */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href;
}
