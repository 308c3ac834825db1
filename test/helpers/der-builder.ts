/**
 * Hand-made certificates for corner cases the openssl CLI cannot produce: a certificate is rebuilt
 * from an openssl-made one with some TBS fields replaced. Signatures are left stale, which is fine
 * because neither Python's `_test_decode_cert` nor `decodeCert` verifies them.
 */
import { DerReader } from '../../src/x509/der.js';

/** A DER element: tag, then the definite length, then the content. */
export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const length =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

/** An OBJECT IDENTIFIER element from dotted text. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(BigInt);
  const values = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const value of values) {
    const septets = [Number(value & 0x7fn)];
    for (let v = value >> 7n; v > 0n; v >>= 7n) septets.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...septets);
  }
  return tlv(0x06, Buffer.from(out));
}

/** A primitive string element of `tag` holding `bytes` (or the UTF-8 of a string). */
export function str(tag: number, value: string | Uint8Array): Buffer {
  return tlv(tag, typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
}

/** A Name of one-attribute RDNs. */
export function name(...attributes: [type: string, value: Buffer][]): Buffer {
  return tlv(0x30, ...attributes.map(([type, value]) => tlv(0x31, tlv(0x30, oid(type), value))));
}

/** An extension element (non-critical). */
export function extension(type: string, value: Buffer): Buffer {
  return tlv(0x30, oid(type), tlv(0x04, value));
}

/** The TBS fields a crafted certificate may replace, by position in TBSCertificate. */
export interface TbsChanges {
  serial?: Buffer;
  issuer?: Buffer;
  validity?: Buffer;
  subject?: Buffer;
  /** Replaces the `[3]` extensions with these Extension elements. */
  extensions?: Buffer[];
}

/** Rebuilds `der` with the given TBS fields replaced. */
export function craft(der: Uint8Array, changes: TbsChanges): Buffer {
  const certificate = new DerReader(der, 'cert').read();
  const outer = DerReader.within(certificate, 'cert');
  const tbs = outer.read();
  const rest = [outer.read(), outer.read()].map((t) =>
    Buffer.from(certificate.value.subarray(t.start, t.end)),
  );
  const fields: Buffer[] = [];
  const reader = DerReader.within(tbs, 'tbs');
  while (reader.hasMore()) {
    const field = reader.read();
    fields.push(Buffer.from(tbs.value.subarray(field.start, field.end)));
  }
  const replace = (index: number, value: Buffer | undefined) => {
    if (value !== undefined) fields[index] = value;
  };
  // A v1 certificate has no [0] version field: positions shift by one.
  const v = fields[0]![0] === 0xa0 ? 1 : 0;
  replace(v, changes.serial);
  replace(v + 2, changes.issuer);
  replace(v + 3, changes.validity);
  replace(v + 4, changes.subject);
  if (changes.extensions !== undefined) fields[v + 6] = tlv(0xa3, tlv(0x30, ...changes.extensions));
  return tlv(0x30, tlv(0x30, ...fields), ...rest);
}
