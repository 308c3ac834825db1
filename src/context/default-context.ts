/** Python's `ssl.create_default_context()`, beside the SSLContext class it configures. */
import {
  type ASN1Object,
  CERT_NONE,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  Purpose,
} from '../constants/ssl-constants.js';
import { typeError } from '../errors/errors.js';
import type { SSLContextOptions } from './context-types.js';
import { SSLContext } from './ssl-context.js';

/**
 * Python's `create_default_context`: a client context (SERVER_AUTH) that verifies certificates
 * and hostnames against the given CAs or the system's, or a server context (CLIENT_AUTH).
 *
 * @example
 * ```ts
 * const ctx = createDefaultContext(Purpose.SERVER_AUTH, { cafile: '.rxtls/ca.pem' });
 * ```
 */
export function createDefaultContext(
  purpose: ASN1Object = Purpose.SERVER_AUTH,
  locations: { cafile?: string; capath?: string; cadata?: string | Uint8Array } = {},
  options: SSLContextOptions = {},
): SSLContext {
  let context: SSLContext;
  if (purpose === Purpose.SERVER_AUTH) {
    context = new SSLContext(PROTOCOL_TLS_CLIENT, options);
  } else if (purpose === Purpose.CLIENT_AUTH) {
    context = new SSLContext(PROTOCOL_TLS_SERVER, options);
  } else {
    throw typeError('purpose', 'Purpose.SERVER_AUTH or Purpose.CLIENT_AUTH', purpose);
  }
  // Python honours SSLKEYLOGFILE in default contexts, so Wireshark works without code changes.
  const keylog = process.env['SSLKEYLOGFILE'];
  if (keylog) context.keylogFilename = keylog;
  const { cafile, capath, cadata } = locations;
  if (cafile !== undefined || capath !== undefined || cadata !== undefined) {
    context.loadVerifyLocations({
      cafile: cafile ?? null,
      capath: capath ?? null,
      cadata: cadata ?? null,
    });
  } else if (context.verifyMode !== CERT_NONE) {
    context.loadDefaultCerts(purpose);
  }
  return context;
}
