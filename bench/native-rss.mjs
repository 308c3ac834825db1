// Handshakes in a loop, half destroyed explicitly and half left to the GC, printing RSS as it goes:
// the native engine's memory must stay flat. Each connection also moves data both ways (a read
// gathered across records), ends on a corrupt record, and every fourth one does post-handshake
// authentication, every eighth from the sixth waits for an asynchronous certificate selection
// (the ClientHello hook answers "not yet", then switches, refuses or is destroyed waiting);
// scripts/native-memcheck.sh runs this under valgrind. Run: node --expose-gc bench/native-rss.mjs [count]
// (after `npm run build`; uses a throwaway PKI made with the openssl command).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBIO } from '../dist/src/transport/sansio/memory-bio.js';
import { createNativeEngine } from '../dist/src/transport/engines/native/native-engine.js';
import { SSLError, SSLWantClientHelloError, SSLWantReadError } from '../dist/src/errors/errors.js';

const count = Number(process.argv[2] ?? 20000);
/** destroy: every engine destroyed; gc: none (the finalizers free them); mixed: half and half. */
const mode = process.argv[3] ?? 'mixed';
const dir = mkdtempSync(join(tmpdir(), 'rxtls-rss-'));
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'k.pem'),
    '-out',
    join(dir, 'c.pem'),
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
    '-days',
    '2',
  ],
  { stdio: 'ignore' },
);
const certPem = readFileSync(join(dir, 'c.pem'), 'utf8');
const keyPem = readFileSync(join(dir, 'k.pem'), 'utf8');
const der = Buffer.from(certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64');
// A second chain, RSA, beside the ECDSA one: the server's SSL_CTX holds both (one per key type).
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    join(dir, 'rk.pem'),
    '-out',
    join(dir, 'rc.pem'),
    '-subj',
    '/CN=localhost',
    '-days',
    '2',
  ],
  { stdio: 'ignore' },
);
const rsaPair = {
  certChainPem: readFileSync(join(dir, 'rc.pem'), 'utf8'),
  keyPem: readFileSync(join(dir, 'rk.pem'), 'utf8'),
};
rmSync(dir, { recursive: true });

const base = {
  options: 0x82520050,
  minVersion: 0x0303,
  maxVersion: 0x0304,
  verifyFlags: 0x8000,
  hostnameChecksCommonName: false,
  crls: [],
  ciphers: undefined,
  ciphersuites: undefined,
  groups: undefined,
  dhParamsPem: undefined,
  alpnProtocols: undefined,
  numTickets: 2,
  keylog: undefined,
  sni: undefined,
  pskClient: undefined,
  pskServer: undefined,
  pskIdentityHint: undefined,
  ticketKeys: [],
  sessionIdContext: Buffer.from('rxtls'),
};
const client = {
  ...base,
  serverSide: false,
  verifyMode: 2,
  checkHostname: true,
  caCerts: [der],
  credentials: [],
};
const server = {
  ...base,
  serverSide: true,
  verifyMode: 0,
  checkHostname: false,
  caCerts: [],
  credentials: [rsaPair, { certChainPem: certPem, keyPem }],
};

/**
 * Session tickets: `issuer` encrypts with the old key; `server` holds a newer key first and the
 * old one second, so resuming an issuer's session takes the ticket key callback's renew path.
 */
const [oldKey, newKey] = [randomBytes(48), randomBytes(48)];
const issuer = { ...server, ticketKeys: [oldKey] };
server.ticketKeys = [newKey, oldKey];
let saved = null;

/** Post-handshake authentication: the server asks after the handshake, the client answers. */
const phaServer = { ...server, verifyMode: 2, caCerts: [der], postHandshakeAuth: true };
const phaClient = { ...client, credentials: server.credentials.slice(1), postHandshakeAuth: true };

/**
 * The certificate selector's hook (docs/architecture.md, The engine seam): "not yet" on the first
 * call, then what the connection's selection mode says.
 */
const selections = new WeakMap();
const settledNow = Promise.resolve();
const selectingServer = {
  ...server,
  clientHello(engine) {
    const state = selections.get(engine);
    if (state === undefined) return { kind: 'continue' };
    if (!state.asked) {
      state.asked = true;
      return { kind: 'retry', pending: { settled: settledNow, cancel: () => undefined } };
    }
    if (state.mode === 'refuse') return { kind: 'alert', alert: 40 };
    return { kind: 'switch', config: server };
  },
};

/** Selection modes, one per selecting connection in turn. */
const SELECTIONS = ['switch', 'refuse', 'abandon'];

function selecting(mode) {
  const [ci, co, si, so] = [new MemoryBIO(), new MemoryBIO(), new MemoryBIO(), new MemoryBIO()];
  const c = createNativeEngine(
    client,
    { serverSide: false, serverHostname: 'localhost', session: null },
    ci,
    co,
  );
  const s = createNativeEngine(
    selectingServer,
    { serverSide: true, serverHostname: null, session: null },
    si,
    so,
  );
  selections.set(s, { mode, asked: false });
  let waited = false;
  try {
    for (let i = 0; i < 10 && !(c.handshakeComplete && s.handshakeComplete); i++) {
      for (const e of [c, s]) {
        try {
          e.doHandshake();
        } catch (error) {
          if (error instanceof SSLWantClientHelloError) {
            waited = true;
            if (mode === 'abandon') return;
          } else if (!(error instanceof SSLWantReadError)) throw error;
        }
      }
      si.write(co.read());
      ci.write(so.read());
    }
    if (!waited || !s.handshakeComplete) throw new Error('the selection did not run');
    exchange(c, s, ci, co, si, so);
  } catch (error) {
    if (mode !== 'refuse' || !(error instanceof SSLError)) throw error;
  } finally {
    c.destroy();
    s.destroy();
  }
}

function once(destroy, pha, i) {
  // Every fourth connection gets a session from the issuer; the next one resumes it.
  const resume = !pha && i % 4 === 1 ? saved : null;
  const serverConfig = pha ? phaServer : i % 4 === 2 ? issuer : server;
  const [ci, co, si, so] = [new MemoryBIO(), new MemoryBIO(), new MemoryBIO(), new MemoryBIO()];
  const c = createNativeEngine(
    pha ? phaClient : client,
    { serverSide: false, serverHostname: 'localhost', session: resume },
    ci,
    co,
  );
  const s = createNativeEngine(
    serverConfig,
    { serverSide: true, serverHostname: null, session: null },
    si,
    so,
  );
  for (let i = 0; i < 10 && !(c.handshakeComplete && s.handshakeComplete); i++) {
    for (const e of [c, s]) {
      try {
        e.doHandshake();
      } catch (error) {
        if (!(error instanceof SSLWantReadError)) throw error;
      }
    }
    si.write(co.read());
    ci.write(so.read());
  }
  if (pha) postHandshakeAuth(c, s, ci, co, si, so);
  if (resume !== null && !c.sessionReused) throw new Error('the session did not resume');
  if (i % 4 === 2) {
    // No corrupt record here: a fatal alert would make the session unresumable.
    s.write(Buffer.from('t')); // after the tickets
    ci.write(so.read());
    if (c.read(1).toString() !== 't') throw new Error('lost data');
    saved = c.session();
    // OpenSSL makes the session of a client freed without sending close_notify unresumable.
    try {
      c.shutdown();
    } catch (error) {
      if (!(error instanceof SSLWantReadError)) throw error;
    }
  } else {
    exchange(c, s, ci, co, si, so);
  }
  if (destroy) {
    c.destroy();
    s.destroy();
  }
}

function postHandshakeAuth(c, s, ci, co, si, so) {
  if (s.peerCertificate() !== null) throw new Error('the certificate came too early');
  s.verifyClientPostHandshake();
  s.write(Buffer.from('x')); // carries the CertificateRequest
  ci.write(so.read());
  if (c.read(1024).toString() !== 'x') throw new Error('lost data');
  si.write(co.read()); // the client's Certificate, CertificateVerify and Finished
  try {
    s.readAvailable(65_536);
  } catch (error) {
    if (!(error instanceof SSLWantReadError)) throw error;
  }
  if (s.peerCertificate() === null) throw new Error('no client certificate after the request');
}

/** Application data both ways: a gathered read of several records, then a corrupt record. */
function exchange(c, s, ci, co, si, so) {
  c.write(Buffer.alloc(40_000, 1));
  si.write(co.read());
  let got = 0;
  while (got < 40_000) got += s.readAvailable(65_536).length;
  s.write(Buffer.from('pong'));
  ci.write(so.read());
  if (c.read(1024).toString() !== 'pong') throw new Error('lost data');
  c.write(Buffer.from('tampered'));
  const wire = co.read();
  wire[wire.length - 1] ^= 0xff;
  si.write(wire);
  try {
    s.readAvailable(65_536);
    throw new Error('a corrupt record was accepted');
  } catch (error) {
    if (!(error instanceof SSLError)) throw error;
  }
}

const YIELD_EVERY = 100;
const mib = () => (process.memoryUsage().rss / 1048576).toFixed(1);
const started = process.hrtime.bigint();
for (let i = 1; i <= count; i++) {
  if (i % 8 === 6) selecting(SELECTIONS[((i - 6) / 8) % SELECTIONS.length]);
  else once(mode === 'destroy' || (mode === 'mixed' && i % 2 === 0), i % 4 === 0, i);
  // Node runs N-API finalizers on a later event-loop turn, never inside synchronous JS: yield as a
  // server between connections does, or the engines left to the GC pile up until the next turn.
  if (i % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
  if (i % (count / 10) === 0) {
    // Node runs N-API finalizers after GC on a later event-loop turn: let them run.
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
    console.log(`${i} handshakes: rss ${mib()} MiB`);
  }
}
const micros = Number(process.hrtime.bigint() - started) / 1000 / count;
console.log(`${micros.toFixed(0)} microseconds per handshake pair (client + server, one thread)`);
