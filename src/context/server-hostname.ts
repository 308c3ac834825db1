/**
 * A client's server_hostname as Python takes it, the one place rxtls checks it: encoded by
 * `SSLContext._encode_hostname` (IDNA, which refuses empty labels such as a leading dot's), then
 * refused by _ssl when it holds a NUL or is empty. The A-label is what the SSLObject reports,
 * what goes out as SNI and what the certificate is checked against.
 */
import { typeError, ValueError } from '../errors/errors.js';
import { idnaEncode } from '../x509/idna.js';

export function encodeServerHostname(name: unknown): string {
  if (typeof name !== 'string') throw typeError('serverHostname', 'a string', name);
  const encoded = idnaEncode(name);
  if (encoded.includes('\0')) {
    throw new TypeError('argument must be encoded string without null bytes, not str');
  }
  if (encoded === '' || encoded.startsWith('.')) {
    throw new ValueError('server_hostname cannot be an empty string or start with a leading dot.');
  }
  return encoded;
}
