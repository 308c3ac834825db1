/**
 * Python's `ssl.get_default_verify_paths()`: where OpenSSL looks for trusted certificates by
 * default, with the environment variables that override it.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The answer of {@link getDefaultVerifyPaths}, as Python's `DefaultVerifyPaths` named tuple. */
export interface DefaultVerifyPaths {
  /** The CA file in effect, if it exists: `$SSL_CERT_FILE` or OpenSSL's default. */
  cafile: string | null;
  /** The CA directory in effect, if it exists: `$SSL_CERT_DIR` or OpenSSL's default. */
  capath: string | null;
  opensslCafileEnv: string;
  opensslCafile: string;
  opensslCapathEnv: string;
  opensslCapath: string;
}

/** The variables OpenSSL reads (X509_get_default_cert_file_env / _dir_env). */
const CAFILE_ENV = 'SSL_CERT_FILE';
const CAPATH_ENV = 'SSL_CERT_DIR';

/**
 * OPENSSLDIR of the platform's own OpenSSL, the one Python links and `openssl version -d` prints
 * (Debian and Ubuntu, then Fedora and RHEL, then Alpine, then OpenSSL's source default). Node's
 * statically linked OpenSSL is built with its own OPENSSLDIR, which no public API reveals; rxtls
 * reads trust stores itself, so it follows the platform's directory as Python does.
 */
const OPENSSLDIR_CANDIDATES = ['/usr/lib/ssl', '/etc/pki/tls', '/etc/ssl', '/usr/local/ssl'];

function opensslDir(): string {
  return OPENSSLDIR_CANDIDATES.find((dir) => existsSync(dir)) ?? '/usr/local/ssl';
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/**
 * The default verification paths, exactly as Python computes them: the environment shadows
 * OpenSSL's compiled-in defaults, and `cafile`/`capath` are null unless they exist.
 *
 * @example
 * ```ts
 * getDefaultVerifyPaths().cafile; // '/etc/ssl/certs/ca-certificates.crt' with SSL_CERT_FILE set
 * ```
 */
export function getDefaultVerifyPaths(env: NodeJS.ProcessEnv = process.env): DefaultVerifyPaths {
  const dir = opensslDir();
  const opensslCafile = join(dir, 'cert.pem');
  const opensslCapath = join(dir, 'certs');
  const cafile = env[CAFILE_ENV] ?? opensslCafile;
  const capath = env[CAPATH_ENV] ?? opensslCapath;
  return {
    cafile: isFile(cafile) ? cafile : null,
    capath: isDirectory(capath) ? capath : null,
    opensslCafileEnv: CAFILE_ENV,
    opensslCafile,
    opensslCapathEnv: CAPATH_ENV,
    opensslCapath,
  };
}
