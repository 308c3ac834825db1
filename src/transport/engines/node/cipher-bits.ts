/**
 * The secret bits of a cipher suite, the third element of Python's `cipher()` tuple. Node's
 * `getCipher()` omits it (docs/architecture.md, node:tls over a Duplex, pitfall 12), so it is
 * derived from the OpenSSL name's bulk cipher as `SSL_CIPHER_get_bits` reports it.
 */
const BITS_BY_ALGORITHM: readonly [RegExp, number][] = [
  [/CHACHA20/, 256],
  [/AES[_-]?256|AES256|ARIA256|CAMELLIA256/, 256],
  [/AES[_-]?128|AES128|ARIA128|CAMELLIA128|SEED|RC4|IDEA/, 128],
  [/3DES|DES-CBC3/, 168],
  [/NULL/, 0],
];

/** Secret key bits of the bulk cipher in an OpenSSL cipher name (0 when unknown). */
export function cipherBits(name: string): number {
  for (const [pattern, bits] of BITS_BY_ALGORITHM) {
    if (pattern.test(name)) return bits;
  }
  return 0;
}
