/**
 * Distinguished names for generated certificates: the subject (and `dirName` SANs) given as an
 * OpenSSL-style string, an object or a list of pairs, validated and encoded with the ASN.1 string
 * type RFC 5280 expects of each attribute.
 */
import 'reflect-metadata';
import { type JsonAttributeObject, Name } from '@peculiar/x509';
import { typeError, ValueError } from '../errors/errors.js';
import { isObjectIdentifier } from './der-writer.js';

type StringType = keyof JsonAttributeObject;

/** The attributes known by name: OpenSSL's long name, its short aliases, the OID and string type. */
const ATTRIBUTES = {
  commonName: { oid: '2.5.4.3', aliases: ['CN'], type: 'utf8String' },
  countryName: { oid: '2.5.4.6', aliases: ['C'], type: 'printableString' },
  localityName: { oid: '2.5.4.7', aliases: ['L'], type: 'utf8String' },
  stateOrProvinceName: { oid: '2.5.4.8', aliases: ['ST', 'S'], type: 'utf8String' },
  organizationName: { oid: '2.5.4.10', aliases: ['O'], type: 'utf8String' },
  organizationalUnitName: { oid: '2.5.4.11', aliases: ['OU'], type: 'utf8String' },
  serialNumber: { oid: '2.5.4.5', aliases: [], type: 'printableString' },
  emailAddress: { oid: '1.2.840.113549.1.9.1', aliases: ['E', 'email'], type: 'ia5String' },
  domainComponent: { oid: '0.9.2342.19200300.100.1.25', aliases: ['DC'], type: 'ia5String' },
} as const satisfies Record<string, { oid: string; aliases: readonly string[]; type: StringType }>;

/** An attribute name accepted in an object subject (OpenSSL's long names). */
export type SubjectAttributeName = keyof typeof ATTRIBUTES;

/** A subject as an object: one RDN per value, in key order. */
export type SubjectAttributes = {
  readonly [K in SubjectAttributeName]?: string | readonly string[];
};

/**
 * A distinguished name, in certificate order (the first attribute is the first RDN, as OpenSSL's
 * `-subj` and Python's decoded `subject`), in one of three forms:
 *
 * - a string: `'CN=example.com, O=Example'`, or OpenSSL's `'/CN=example.com/O=Example'`; `+` joins
 *   attributes into one multi-valued RDN; `\` escapes a separator;
 * - an object: `{ commonName: 'example.com', organizationName: 'Example' }`;
 * - a list of pairs: `[['commonName', 'example.com'], ['O', 'Example']]`.
 *
 * Names are the long names above, their short aliases (`CN`, `O`, `OU`, `C`, `L`, `ST`, `E`, `DC`)
 * or dotted OIDs (encoded as UTF8String).
 */
export type SubjectInput =
  | string
  | SubjectAttributes
  | readonly (readonly [name: string, value: string])[];

/** A value PrintableString can carry (X.680). */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
/** ISO 3166 country codes are two letters. */
const COUNTRY_CODE_LENGTH = 2;

type Attribute = { oid: string; type: StringType; value: string };

const byName = new Map<string, { oid: string; type: StringType }>();
for (const [name, spec] of Object.entries(ATTRIBUTES)) {
  byName.set(name.toLowerCase(), spec);
  byName.set(spec.oid, spec);
  for (const alias of spec.aliases) byName.set(alias.toLowerCase(), spec);
}

function attribute(name: string, value: unknown, what: string): Attribute {
  if (typeof value !== 'string') throw typeError(`${what} attribute ${name}`, 'a string', value);
  const key = name.trim();
  const spec = byName.get(key.toLowerCase()) ?? byName.get(key);
  const oid = spec?.oid ?? (isObjectIdentifier(key) ? key : undefined);
  if (oid === undefined) throw new ValueError(`unknown ${what} attribute ${JSON.stringify(name)}`);
  const type = spec?.type ?? 'utf8String';
  if (value === '') throw new ValueError(`${what} attribute ${key} must not be empty`);
  if (type === 'printableString' && !PRINTABLE.test(value)) {
    throw new ValueError(
      `${what} attribute ${key} must be a PrintableString, got ${JSON.stringify(value)}`,
    );
  }
  if (type === 'ia5String' && !/^[\x00-\x7f]*$/.test(value)) {
    throw new ValueError(`${what} attribute ${key} must be ASCII, got ${JSON.stringify(value)}`);
  }
  if (oid === ATTRIBUTES.countryName.oid && value.length !== COUNTRY_CODE_LENGTH) {
    throw new ValueError(
      `${what} countryName must be a two-letter code, got ${JSON.stringify(value)}`,
    );
  }
  return { oid, type, value };
}

/** Splits on unescaped `separator`, keeping escapes for the next level. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\' && i + 1 < text.length) {
      current += char + text[++i];
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function parseString(text: string, what: string): Attribute[][] {
  const slashForm = text.trimStart().startsWith('/');
  const rdns = slashForm ? splitUnescaped(text.trim().slice(1), '/') : splitUnescaped(text, ',');
  return rdns.map((rdn) =>
    splitUnescaped(rdn, '+').map((pair) => {
      const equals = pair.indexOf('=');
      if (equals <= 0) {
        throw new ValueError(
          `${what} ${JSON.stringify(text)}: expected NAME=VALUE, got ${JSON.stringify(pair.trim())}`,
        );
      }
      const value = pair
        .slice(equals + 1)
        .trim()
        .replace(/\\(.)/g, '$1');
      return attribute(pair.slice(0, equals), value, what);
    }),
  );
}

function parse(input: SubjectInput, what: string): Attribute[][] {
  if (typeof input === 'string') return input.trim() === '' ? [] : parseString(input, what);
  if (Array.isArray(input)) {
    return input.map((pair: unknown) => {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
        throw typeError(`each ${what} pair`, 'a [name, value] array', pair);
      }
      return [attribute(pair[0], pair[1], what)];
    });
  }
  if (typeof input !== 'object' || input === null) {
    throw typeError(what, 'a string, an object or an array of [name, value] pairs', input);
  }
  return Object.entries(input).flatMap(([name, values]: [string, unknown]) =>
    (Array.isArray(values) ? values : [values]).map((value: unknown) => [
      attribute(name, value, what),
    ]),
  );
}

/**
 * Validates a distinguished name and builds it. Throws ValueError for an empty name, an unknown
 * attribute or a value its string type cannot carry, TypeError for a value of the wrong type.
 *
 * @param what how the name is called in error messages (`subject`, `dirName`).
 */
export function buildName(input: SubjectInput, what = 'subject'): Name {
  const rdns = parse(input, what);
  if (rdns.length === 0) throw new ValueError(`${what} must name at least one attribute`);
  return new Name(
    rdns.map((rdn) => {
      const json: Record<string, JsonAttributeObject[]> = {};
      for (const { oid, type, value } of rdn) {
        json[oid] = [...(json[oid] ?? []), { [type]: value }];
      }
      return json;
    }),
  );
}
