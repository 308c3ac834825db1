/**
 * A raw TLS 1.3 record sender for one direction of an established connection: given the
 * sender's application traffic secret (from a key log), it encrypts records the peer accepts as
 * the real client's, so a test can send what no TLS library would (a KeyUpdate flood).
 * Everything cited is RFC 8446.
 */
import { createCipheriv, createHmac } from 'node:crypto';

/** The TLS 1.3 suites: hash for HKDF, AEAD key length, node:crypto cipher name (B.4). */
const SUITES: Record<string, { hash: string; keyLength: number; cipher: string }> = {
  TLS_AES_128_GCM_SHA256: { hash: 'sha256', keyLength: 16, cipher: 'aes-128-gcm' },
  TLS_AES_256_GCM_SHA384: { hash: 'sha384', keyLength: 32, cipher: 'aes-256-gcm' },
  TLS_CHACHA20_POLY1305_SHA256: { hash: 'sha256', keyLength: 32, cipher: 'chacha20-poly1305' },
};

const IV_LENGTH = 12; // 5.3: every TLS 1.3 AEAD takes a 12-byte nonce
const TAG_LENGTH = 16;
const APPLICATION_DATA = 23;
const HANDSHAKE = 22;
const KEY_UPDATE = 24; // 4.6.3: update_not_requested = 0, update_requested = 1

/** HKDF-Expand-Label (7.1) over HKDF-Expand (RFC 5869 2.3): node:crypto has no expand-only call. */
export function hkdfExpandLabel(
  hash: string,
  secret: Buffer,
  label: string,
  context: Buffer,
  length: number,
): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'ascii');
  const lengthBytes = Buffer.alloc(2);
  lengthBytes.writeUInt16BE(length);
  const info = Buffer.concat([
    lengthBytes,
    Buffer.from([fullLabel.length]),
    fullLabel,
    Buffer.from([context.length]),
    context,
  ]);
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i += 1) {
    previous = createHmac(hash, secret)
      .update(Buffer.concat([previous, info, Buffer.from([i])]))
      .digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** The `label` secret (e.g. CLIENT_TRAFFIC_SECRET_0) of the only connection in a key log. */
export function secretFromKeylog(keylog: string, label: string): Buffer {
  const line = keylog.split('\n').find((l) => l.startsWith(`${label} `));
  if (line === undefined) throw new Error(`no ${label} in the key log`);
  return Buffer.from(line.split(' ')[2] ?? '', 'hex');
}

/** Encrypts records in one direction under a traffic secret, following its key updates. */
export class Tls13Sender {
  readonly #suite: { hash: string; keyLength: number; cipher: string };
  #secret: Buffer;
  #key!: Buffer;
  #iv!: Buffer;
  #seq = 0n;

  constructor(suiteName: string, secret: Buffer) {
    const suite = SUITES[suiteName];
    if (suite === undefined) throw new Error(`not a TLS 1.3 suite: ${suiteName}`);
    this.#suite = suite;
    this.#secret = secret;
    this.#rekey();
  }

  /** 7.3: key and iv from the current secret; a new key restarts the sequence at 0 (5.3). */
  #rekey(): void {
    const { hash, keyLength } = this.#suite;
    this.#key = hkdfExpandLabel(hash, this.#secret, 'key', Buffer.alloc(0), keyLength);
    this.#iv = hkdfExpandLabel(hash, this.#secret, 'iv', Buffer.alloc(0), IV_LENGTH);
    this.#seq = 0n;
  }

  /** One TLSCiphertext record (5.2) holding `content` of the inner type `type`. */
  record(type: number, content: Buffer): Buffer {
    // TLSInnerPlaintext: content, then the real type; no padding.
    const inner = Buffer.concat([content, Buffer.from([type])]);
    const header = Buffer.from([APPLICATION_DATA, 0x03, 0x03, 0, 0]);
    header.writeUInt16BE(inner.length + TAG_LENGTH, 3);
    // 5.3: the per-record nonce is the iv XOR the 64-bit sequence number, left-padded.
    const nonce = Buffer.from(this.#iv);
    const seq = Buffer.alloc(8);
    seq.writeBigUInt64BE(this.#seq);
    for (let i = 0; i < 8; i += 1) {
      const at = IV_LENGTH - 8 + i;
      nonce[at] = (nonce[at] as number) ^ (seq[i] as number);
    }
    this.#seq += 1n;
    const cipher = createCipheriv(this.#suite.cipher as 'aes-128-gcm', this.#key, nonce, {
      authTagLength: TAG_LENGTH,
    });
    cipher.setAAD(header); // 5.2: the additional data is the record header
    const body = Buffer.concat([cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
    return Buffer.concat([header, body]);
  }

  /** Application data, encrypted under the current key. */
  data(plaintext: Buffer): Buffer {
    return this.record(APPLICATION_DATA, plaintext);
  }

  /**
   * A KeyUpdate under the current key, asking the peer to update its own keys too if `requested`
   * (4.6.3); afterwards this side sends under the next secret,
   * HKDF-Expand-Label(secret, "traffic upd", "", Hash.length) (7.2).
   */
  keyUpdate(requested = false): Buffer {
    const body = Buffer.from([KEY_UPDATE, 0, 0, 1, requested ? 1 : 0]);
    const record = this.record(HANDSHAKE, body);
    const hashLength = this.#secret.length;
    this.#secret = hkdfExpandLabel(
      this.#suite.hash,
      this.#secret,
      'traffic upd',
      Buffer.alloc(0),
      hashLength,
    );
    this.#rekey();
    return record;
  }
}
