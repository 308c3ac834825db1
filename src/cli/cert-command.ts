/**
 * `rxtls cert ca|create|show|fetch`: make a development CA, issue or self-sign a leaf, print a
 * certificate file as `decodeCert` JSON, fetch a server's certificate.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import {
  type CertificateAndKey,
  createCertificateAuthority,
  createSelfSignedCertificate,
  issueCertificate,
} from '../x509/cert-factory.js';
import { decodeCert } from '../x509/decode-cert.js';
import { parseSubjectAltNames, type SubjectAltNameEntry } from '../x509/general-names.js';
import type { KeyType, RsaModulusLength } from '../x509/key-pair.js';
import { parseCertificates } from '../x509/pem.js';
import { getServerCertificate } from '../endpoints/connect.js';
import {
  type Command,
  type OptionValues,
  parseCommandArgs,
  positiveInteger,
  UsageError,
} from './command.js';
import { parseHostPort } from './host-port.js';

/** Private keys are readable by their owner only. */
const KEY_FILE_MODE = 0o600;
const CERT_FILE_MODE = 0o644;

const HELP = {
  cert: `usage: rxtls cert <ca|create|show|fetch> [options]

  ca      create a certificate authority (ca.pem, ca-key.pem)
  create  self-sign a certificate, or issue one with --ca and --ca-key
  show    print a certificate file (PEM or DER, one or a chain) as decodeCert JSON
  fetch   print (or save) the certificate a TLS server presents

Run 'rxtls cert <subcommand> --help' for its options.
`,
  ca: `usage: rxtls cert ca [--out-dir DIR] [--cn NAME] [--key-type ec|rsa] [--rsa-bits N] [--days N] [--force]

Creates a certificate authority: DIR/ca.pem and DIR/ca-key.pem (mode 0600), and prints their paths.

  --out-dir DIR     where to write (default: the current directory)
  --cn NAME         the CA's common name (default: rxtls Development CA)
  --key-type TYPE   ec (ECDSA P-256, default) or rsa
  --rsa-bits N      RSA modulus size: 2048 (default), 3072 or 4096
  --days N          validity in days (default: 3650)
  --force           overwrite existing files
`,
  create: `usage: rxtls cert create [--out-dir DIR] [--name BASENAME] [--cn NAME] [--san LIST]
                   [--ca FILE --ca-key FILE] [--key-type ec|rsa] [--rsa-bits N] [--days N] [--force]

Creates a certificate signed by --ca/--ca-key, or self-signed without them: DIR/BASENAME.pem and
DIR/BASENAME-key.pem (mode 0600), and prints their paths.

  --name BASENAME   file name stem (default: cert)
  --cn NAME         the subject's common name (default: localhost)
  --san LIST        subjectAltNames, comma-separated, repeatable: DNS:name, IP:addr, email:addr,
                    URI:uri, RID:oid, dirName:/CN=x/O=y, otherName:oid;UTF8:text, UPN:user@domain
                    (default: DNS:localhost,IP:127.0.0.1,IP:::1 for localhost, else the --cn name)
  --ca FILE         the issuing CA certificate (PEM)
  --ca-key FILE     the issuing CA's private key (PEM)
  --key-type TYPE   ec (ECDSA P-256, default) or rsa
  --rsa-bits N      RSA modulus size: 2048 (default), 3072 or 4096
  --days N          validity in days (default: 365)
  --force           overwrite existing files
`,
  show: `usage: rxtls cert show FILE

Prints the certificate in FILE (PEM or DER) as the JSON of decodeCert, Python's getpeercert()
dictionary: one object for one certificate, an array for a chain.
`,
  fetch: `usage: rxtls cert fetch HOST:PORT [--cafile F] [--out FILE]

Prints the certificate the server at HOST:PORT presents, as PEM (Python's
ssl.get_server_certificate). It is fetched without verification, to look at it, unless --cafile
is given; the name is never checked. IPv6: [::1]:8444.

  --cafile F  verify the certificate against these CAs (PEM); exit 1 if it does not verify
  --out FILE  write the PEM to FILE instead of printing it
`,
};

const COMMON_OPTIONS = {
  'out-dir': { type: 'string' },
  cn: { type: 'string' },
  'key-type': { type: 'string' },
  'rsa-bits': { type: 'string' },
  days: { type: 'string' },
  force: { type: 'boolean' },
} as const;

function print(text: string) {
  process.stdout.write(text);
}

function stringOption(values: OptionValues, name: string): string | undefined {
  return values[name] as string | undefined;
}

function keyOptions(command: string, values: OptionValues) {
  const keyType = stringOption(values, 'key-type') ?? 'ec';
  if (keyType !== 'ec' && keyType !== 'rsa') {
    throw new UsageError(command, `--key-type must be ec or rsa, got '${keyType}'`);
  }
  const bits = stringOption(values, 'rsa-bits');
  const rsaBits = bits === undefined ? undefined : positiveInteger(command, 'rsa-bits', bits);
  if (rsaBits !== undefined && ![2048, 3072, 4096].includes(rsaBits)) {
    throw new UsageError(command, `--rsa-bits must be 2048, 3072 or 4096, got '${bits}'`);
  }
  const days = stringOption(values, 'days');
  return {
    keyType: keyType as KeyType,
    ...(rsaBits === undefined ? {} : { rsaBits: rsaBits as RsaModulusLength }),
    ...(days === undefined ? {} : { validityDays: positiveInteger(command, 'days', days) }),
  };
}

function commonName(command: string, values: OptionValues, fallback: string): string {
  const cn = stringOption(values, 'cn') ?? fallback;
  if (cn.trim() === '') throw new UsageError(command, '--cn must not be empty');
  return cn;
}

/** Writes the pair as DIR/STEM.pem and DIR/STEM-key.pem, refusing to overwrite without --force. */
function writePair(values: OptionValues, stem: string, pair: CertificateAndKey): void {
  const dir = resolve(stringOption(values, 'out-dir') ?? '.');
  const certPath = resolve(dir, `${stem}.pem`);
  const keyPath = resolve(dir, `${stem}-key.pem`);
  for (const path of [certPath, keyPath]) {
    if (!values.force && existsSync(path)) {
      throw new Error(`${path} already exists; pass --force to overwrite it`);
    }
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(certPath, pair.cert, { mode: CERT_FILE_MODE });
  writeFileSync(keyPath, pair.key, { mode: KEY_FILE_MODE });
  // mode applies only when a file is created: an overwritten key keeps its old mode otherwise.
  chmodSync(keyPath, KEY_FILE_MODE);
  print(`certificate: ${certPath}\nkey: ${keyPath}\n`);
}

async function runCa(args: string[]): Promise<void> {
  const command = 'rxtls cert ca';
  const parsed = parseCommandArgs(command, args, COMMON_OPTIONS);
  if (!parsed) return print(HELP.ca);
  const { values } = parsed;
  const cn = commonName(command, values, 'rxtls Development CA');
  const ca = await createCertificateAuthority({
    subject: [['commonName', cn]],
    ...keyOptions(command, values),
  });
  writePair(values, 'ca', ca);
}

function defaultSubjectAltNames(cn: string): SubjectAltNameEntry[] {
  if (cn === 'localhost') {
    return [
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
    ];
  }
  if (isIP(cn)) return [{ type: 'ip', value: cn }];
  return /^[\x21-\x7e]+$/.test(cn) ? [{ type: 'dns', value: cn }] : [];
}

function subjectAltNames(command: string, specs: string[], cn: string): SubjectAltNameEntry[] {
  if (specs.length === 0) return defaultSubjectAltNames(cn);
  try {
    return specs.flatMap(parseSubjectAltNames);
  } catch (error) {
    throw new UsageError(command, `--san: ${(error as Error).message}`);
  }
}

async function runCreate(args: string[]): Promise<void> {
  const command = 'rxtls cert create';
  const parsed = parseCommandArgs(command, args, {
    ...COMMON_OPTIONS,
    name: { type: 'string' },
    san: { type: 'string', multiple: true },
    ca: { type: 'string' },
    'ca-key': { type: 'string' },
  });
  if (!parsed) return print(HELP.create);
  const { values } = parsed;
  const cn = commonName(command, values, 'localhost');
  const name = stringOption(values, 'name') ?? 'cert';
  if (!/^[\w.-]+$/.test(name)) {
    throw new UsageError(command, `--name must be a plain file name stem, got '${name}'`);
  }
  const caPath = stringOption(values, 'ca');
  const caKeyPath = stringOption(values, 'ca-key');
  if ((caPath === undefined) !== (caKeyPath === undefined)) {
    throw new UsageError(command, '--ca and --ca-key go together');
  }
  const options = {
    subject: [['commonName', cn]] as [string, string][],
    subjectAltNames: subjectAltNames(command, (values.san as string[] | undefined) ?? [], cn),
    ...keyOptions(command, values),
  };
  const pair =
    caPath === undefined || caKeyPath === undefined
      ? await createSelfSignedCertificate(options)
      : await issueCertificate(
          { cert: readFileSync(caPath, 'utf8'), key: readFileSync(caKeyPath, 'utf8') },
          options,
        );
  writePair(values, name, pair);
}

async function runShow(args: string[]): Promise<void> {
  const command = 'rxtls cert show';
  const parsed = parseCommandArgs(command, args, {}, { min: 1, max: 1, name: 'FILE' });
  if (!parsed) return print(HELP.show);
  const file = parsed.positionals[0]!;
  const bytes = readFileSync(file);
  const certificates = parseCertificates(bytes);
  if (certificates.length === 0) throw new Error(`no certificate in ${file}`);
  const decoded = certificates.map((der) => decodeCert(der));
  print(`${JSON.stringify(decoded.length === 1 ? decoded[0] : decoded, null, 2)}\n`);
}

async function runFetch(args: string[]): Promise<void> {
  const command = 'rxtls cert fetch';
  const parsed = parseCommandArgs(
    command,
    args,
    { cafile: { type: 'string' }, out: { type: 'string' } },
    { min: 1, max: 1, name: 'HOST:PORT' },
  );
  if (!parsed) return print(HELP.fetch);
  const { host, port } = parseHostPort(command, parsed.positionals[0]!);
  const cafile = stringOption(parsed.values, 'cafile');
  const pem = await getServerCertificate([host, port], cafile ? { caCerts: cafile } : {});
  const out = stringOption(parsed.values, 'out');
  if (out === undefined) return print(pem);
  writeFileSync(out, pem, { mode: CERT_FILE_MODE });
  print(`certificate: ${resolve(out)}\n`);
}

const SUBCOMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  ca: runCa,
  create: runCreate,
  show: runShow,
  fetch: runFetch,
};

/** `rxtls cert`: certificate authority, certificate creation and display. */
export const certCommand: Command = {
  name: 'cert',
  summary: "make a CA, issue or self-sign a certificate, show one as JSON, fetch a server's",
  async run(args: string[]): Promise<void> {
    const [subcommand, ...rest] = args;
    if (subcommand === '--help' || subcommand === '-h') return print(HELP.cert);
    if (subcommand === undefined)
      throw new UsageError('rxtls cert', 'missing subcommand: ca, create, show or fetch');
    const run = SUBCOMMANDS[subcommand];
    if (!run) {
      throw new UsageError(
        'rxtls cert',
        `unknown subcommand '${subcommand}': use ca, create, show or fetch`,
      );
    }
    await run(rest);
  },
};
