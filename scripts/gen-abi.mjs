#!/usr/bin/env node
// The numbers the native addon and the TypeScript side share, held once: this table is written
// to native/abi.h (for engine.c, socket.c and addon.c) and to src/transport/engines/native/abi.ts
// (for native-binding.ts and native-engine.ts). See docs/architecture.md, The ABI.
//
//   node scripts/gen-abi.mjs              rewrites both files from the table
//   node scripts/gen-abi.mjs --check      writes nothing; exits 1 naming each file that differs
//   node scripts/gen-abi.mjs --root DIR   reads or writes DIR/native/abi.h and DIR/src/... instead
//
// Change the table here, never the outputs, then run it, `npx node-gyp rebuild` and `npx tsc`.
// Bump ABI_VERSION whenever a number changes, so that an addon built from older sources is named
// as such when it is refused at load (native-binding.ts compares every number in any case).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ABI_VERSION = {
  value: 3,
  doc:
    'The version of this table. The addon exports the table it was built with, and ' +
    'native-binding.ts refuses an addon whose table differs from its own: the addon then counts ' +
    'as unavailable, and contexts use the node engine.',
};

const FEED_LIMIT = {
  records: 4,
  plaintext: 16384,
  expansion: 2048,
  doc:
    'The most ciphertext the read BIO holds at once: four full TLS records (see limits.ts, ' +
    'MAX_CIPHERTEXT_RECORD). A driving call takes at most this much of its input, and the ' +
    'engine offers no more.',
};

const POST_HANDSHAKE_LIMIT = {
  value: 32,
  doc:
    'The most post-handshake handshake messages (TLS 1.3 KeyUpdate, NewSessionTicket, ' +
    'CertificateRequest) and warning alerts an engine takes from its peer in a row without ' +
    'application data between them; one more fails the connection with ' +
    '[SSL: TOO_MANY_KEY_UPDATES] (see docs/architecture.md, Limits under attack). OpenSSL ' +
    'bounds only those read within one SSL_read call.',
};

/**
 * Each group numbers its entries from its `base` (0 when it has none) in the order given. `name` is
 * the TypeScript name; the C name is the group's prefix and the name in capitals
 * (HandshakeComplete: DRIVE_HANDSHAKE_COMPLETE).
 */
const GROUPS = [
  {
    name: 'DriveState',
    prefix: 'DRIVE',
    doc:
      'Where `drive` writes its numbers: indices into the Int32Array (of DRIVE_STATE_LENGTH) that ' +
      'every driving call fills, which costs no JS allocation; one array serves every engine.',
    length: {
      name: 'DRIVE_STATE_LENGTH',
      doc: 'How many numbers `drive` writes: the least length of its state array.',
    },
    entries: [
      ['Taken', 'Bytes taken from the input.'],
      ['HandshakeComplete', 'SSL_is_init_finished after the call: 1 or 0.'],
      [
        'Starved',
        'The call ended wanting more ciphertext (SSL_ERROR_WANT_READ), with or without data.',
      ],
      [
        'SslError',
        "SSL_get_error's answer (0: none). SSL_ERROR_WANT_READ with nothing on OpenSSL's error " +
          'queue comes without an error description: this is all there is to say.',
      ],
      [
        'Queued',
        'Fused engines (see docs/architecture.md, The fused path): bytes the socket still queues ' +
          'for the kernel. Always written, as are Incoming and Sent (zeros when not fused): the ' +
          'array is shared by every engine, and a detached link must read zeros.',
      ],
      ['Incoming', 'Fused engines: ciphertext the read BIO holds, not yet consumed.'],
      ['Sent', 'Fused engines: ciphertext the call sent to the socket.'],
    ],
  },
  {
    name: 'Op',
    prefix: 'OP',
    doc: "What a driving call does: `drive`'s `op` argument.",
    entries: [
      ['Handshake', 'SSL_do_handshake.'],
      [
        'Read',
        "SSL_read_ex of at most `n` bytes (one record at most); answers the bytes. The peer's " +
          'close_notify while ours is unsent reads as empty bytes, as in Python.',
      ],
      ['Write', 'SSL_write_ex of `data`; answers the count written.'],
      [
        'Shutdown',
        "SSL_shutdown, as Python's shutdown loop over a memory BIO; answers its return.",
      ],
      [
        'ReadAvailable',
        'Record after record into one new buffer, up to `n` bytes (four records at most): one ' +
          'call and one allocation per stream read. Data read before an error comes first; the ' +
          'error comes with the next call.',
      ],
      ['ReadInto', "As ReadAvailable, into the caller's buffer (`data`); answers the count."],
    ],
  },
  {
    name: 'Info',
    prefix: 'INFO',
    doc: "What `info(engine, what)` answers: the value of Python's SSLObject method of that meaning.",
    entries: [
      ['HandshakeComplete', 'SSL_is_init_finished, as a boolean.'],
      ['Pending', 'pending(): decrypted bytes ready to be read without more ciphertext.'],
      ['PeerCert', "The peer's certificate (DER), or null."],
      [
        'PeerVerified',
        'Whether getpeercert() answers a dict: a peer certificate, and a context that verifies peers.',
      ],
      ['VerifiedChain', 'get_verified_chain(): the certificates (DER).'],
      [
        'UnverifiedChain',
        "get_unverified_chain(): the certificates (DER), the peer's own first (on servers too, " +
          'as Python adds it there).',
      ],
      ['Cipher', 'cipher(): [name, protocol, secret bits], or null.'],
      ['SharedCiphers', "shared_ciphers(): the server's ciphers the client offered, or null."],
      ['Version', 'version(): the protocol once the handshake is complete, or null.'],
      ['Alpn', 'selected_alpn_protocol(), or null.'],
      ['ServerName', 'The SNI host name of the connection, or null.'],
      [
        'TlsUnique',
        "get_channel_binding('tls-unique'): the first Finished message of the handshake, or null.",
      ],
      ['Session', "The session (a handle with Python's SSLSession fields), or null."],
      ['SessionReused', 'session_reused.'],
      ['VerifyResult', 'SSL_get_verify_result: an X509_V_ERR number (0: verified).'],
    ],
  },
  {
    name: 'HelloAnswer',
    prefix: 'HELLO',
    base: 256,
    doc:
      "What the ClientHello hook answers the addon (dispatch('client-hello', serverName), from " +
      "OpenSSL's client hello callback): one of these, or a number below 256, the alert that " +
      'refuses the handshake (see docs/architecture.md, The engine seam).',
    entries: [
      ['Continue', 'Go on with the handshake (the hook may have switched the SSL_CTX).'],
      [
        'Retry',
        'Not yet: the callback returns SSL_CLIENT_HELLO_RETRY, the driving call ends with ' +
          'SSL_ERROR_WANT_CLIENT_HELLO_CB, and OpenSSL asks again when the handshake is retried.',
      ],
    ],
  },
  {
    name: 'SocketEvent',
    prefix: 'EV',
    doc: 'What a native socket reports: events(kind, a, b), with these kinds (native/socket.c).',
    entries: [
      ['Data', 'a: the bytes read (plain mode).'],
      [
        'Fed',
        "a: bytes read and handed to the socket's sink (fused: the engine's read BIO), b: the " +
          'bytes the sink now holds.',
      ],
      ['End', "The peer's FIN."],
      ['Error', "a: libuv's (negative) error number, b: its name (ECONNRESET)."],
      ['Drain', 'Every queued write has reached the kernel.'],
      ['Finish', 'Our FIN is out (after end()); a: 0 or an error number.'],
      ['Close', 'The handle is closed; no more events.'],
      ['Connection', "Listeners: a: the accepted socket's handle."],
      ['Connect', 'Connecting sockets: a: 0 or a libuv error number, b: its name.'],
      ['WriteError', "A write failed: a: libuv's error number, b: its name (EPIPE)."],
    ],
  },
];

const C_PATH = 'native/abi.h';
const TS_PATH = 'src/transport/engines/native/abi.ts';
const WIDTH = 100;

const cName = (group, name) =>
  `${group.prefix}_${name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;

/** Words of `text` in lines of at most `width` characters. */
function wrap(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}

// A C comment: one line when it fits, else continued lines that begin " * ".
function cComment(text, indent) {
  if (indent.length + text.length + 6 <= WIDTH) return [`${indent}/* ${text} */`];
  const lines = wrap(text, WIDTH - indent.length - 3).map(
    (line, i) => `${indent}${i === 0 ? '/*' : ' *'} ${line}`,
  );
  const last = lines.length - 1;
  if (lines[last].length + 3 <= WIDTH) lines[last] += ' */';
  else lines.push(`${indent} */`);
  return lines;
}

/** A file's opening C comment, as the native files begin. */
const cBlock = (text) => ['/*', ...wrap(text, WIDTH - 3).map((line) => ` * ${line}`), ' */'];

/** A TSDoc comment: one line when it fits, else a block. */
function tsComment(text, indent) {
  if (indent.length + text.length + 7 <= WIDTH) return [`${indent}/** ${text} */`];
  return [
    `${indent}/**`,
    ...wrap(text, WIDTH - indent.length - 3).map((line) => `${indent} * ${line}`),
    `${indent} */`,
  ];
}

/** 16384 as TypeScript writes it in this repository: 16_384. */
const tsNumber = (n) => String(n).replace(/\B(?=(\d{3})+$)/g, '_');

const HEADER =
  'GENERATED by scripts/gen-abi.mjs from its table: do not edit (change the table and run it). ' +
  'The numbers the native addon and the TypeScript side share (see docs/architecture.md, The ' +
  'ABI); the same table is written to';

function renderC() {
  const out = [
    ...cBlock(`${HEADER} ${TS_PATH}.`),
    '#ifndef RXTLS_ABI_H',
    '#define RXTLS_ABI_H',
    '',
    ...cComment(ABI_VERSION.doc, ''),
    `#define RX_ABI_VERSION ${ABI_VERSION.value}`,
    '',
    ...cComment(FEED_LIMIT.doc, ''),
    `#define FEED_LIMIT (${FEED_LIMIT.records} * (${FEED_LIMIT.plaintext} + ${FEED_LIMIT.expansion}))`,
    '',
    ...cComment(POST_HANDSHAKE_LIMIT.doc, ''),
    `#define POST_HANDSHAKE_LIMIT ${POST_HANDSHAKE_LIMIT.value}`,
  ];
  for (const group of GROUPS) {
    out.push('', ...cComment(group.doc, ''), 'enum {');
    group.entries.forEach(([name, doc], index) => {
      out.push(...cComment(doc, '  '), `  ${cName(group, name)} = ${(group.base ?? 0) + index},`);
    });
    if (group.length) {
      out.push(...cComment(group.length.doc, '  '));
      out.push(`  ${group.length.name} = ${group.entries.length},`);
    }
    out.push('};');
  }
  const rows = [
    'X(NULL, "version", RX_ABI_VERSION)',
    'X(NULL, "FEED_LIMIT", FEED_LIMIT)',
    'X(NULL, "POST_HANDSHAKE_LIMIT", POST_HANDSHAKE_LIMIT)',
    ...GROUPS.filter((g) => g.length).map((g) => `X(NULL, "${g.length.name}", ${g.length.name})`),
    ...GROUPS.flatMap((group) =>
      group.entries.map(([name]) => `X("${group.name}", "${name}", ${cName(group, name)})`),
    ),
  ];
  out.push(
    '',
    ...cComment(
      'The whole table as the addon exports it (addon.c, its `abi` object): X(group, name, ' +
        "value) for each number, group NULL for those outside a group. Its shape is abi.ts's ABI.",
      '',
    ),
    '#define RX_ABI_TABLE(X) \\',
    ...rows.map((row, i) => `  ${row}${i < rows.length - 1 ? ' \\' : ''}`),
    '',
    '#endif',
    '',
  );
  return out.join('\n');
}

function renderTs() {
  const out = [
    ...tsComment(`${HEADER} ${C_PATH}.`, ''),
    '',
    ...tsComment(ABI_VERSION.doc, ''),
    `export const ABI_VERSION = ${ABI_VERSION.value};`,
    '',
    ...tsComment(FEED_LIMIT.doc, ''),
    `export const FEED_LIMIT = ${FEED_LIMIT.records} * (${tsNumber(FEED_LIMIT.plaintext)} + ${tsNumber(FEED_LIMIT.expansion)});`,
    '',
    ...tsComment(POST_HANDSHAKE_LIMIT.doc, ''),
    `export const POST_HANDSHAKE_LIMIT = ${POST_HANDSHAKE_LIMIT.value};`,
  ];
  for (const group of GROUPS) {
    out.push('', ...tsComment(group.doc, ''), `export const ${group.name} = {`);
    group.entries.forEach(([name, doc], index) => {
      out.push(...tsComment(doc, '  '), `  ${name}: ${(group.base ?? 0) + index},`);
    });
    out.push(
      '} as const;',
      `export type ${group.name} = (typeof ${group.name})[keyof typeof ${group.name}];`,
    );
    if (group.length) {
      out.push(...tsComment(group.length.doc, ''));
      out.push(`export const ${group.length.name} = ${group.entries.length};`);
    }
  }
  const fields = [
    'version: ABI_VERSION',
    'FEED_LIMIT',
    'POST_HANDSHAKE_LIMIT',
    ...GROUPS.filter((g) => g.length).map((g) => g.length.name),
    ...GROUPS.map((g) => g.name),
  ];
  out.push(
    '',
    ...tsComment(
      "The whole table, shaped as the addon's `abi` export (native/abi.h, RX_ABI_TABLE), which " +
        'native-binding.ts compares with it when it loads the addon.',
      '',
    ),
    'export const ABI = {',
    ...fields.map((field) => `  ${field},`),
    '} as const;',
    '',
  );
  return out.join('\n');
}

const args = process.argv.slice(2);
const check = args.includes('--check');
const rootAt = args.indexOf('--root');
const root =
  rootAt >= 0
    ? resolve(args[rootAt + 1] ?? '.')
    : resolve(dirname(fileURLToPath(import.meta.url)), '..');

let stale = 0;
for (const [path, text] of [
  [C_PATH, renderC()],
  [TS_PATH, renderTs()],
]) {
  const file = join(root, path);
  if (check) {
    let current;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== text) {
      stale++;
      console.error(
        `${relative(process.cwd(), file) || file}: differs from scripts/gen-abi.mjs's table`,
      );
    }
  } else {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}
if (stale > 0) {
  console.error('run `node scripts/gen-abi.mjs` (and never edit the generated files by hand)');
  process.exitCode = 1;
}
