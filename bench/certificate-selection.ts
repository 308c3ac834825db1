/**
 * What asynchronous certificate selection costs per handshake: full handshakes of two SSLObjects
 * pumped in memory (rxtls/testing's pump), on each engine, with no selector, a selector answering
 * at once, one answering with a resolved Promise (the handshake waits: SSLWantClientHelloError,
 * then a retry), and one answering on a later event-loop turn (setImmediate, as a store would).
 * The chosen context is made once, so this measures the mechanism, not a lookup. Each figure is
 * the median of three runs after a warm-up.
 *
 *   node node_modules/typescript/bin/tsc -p tsconfig.json && node dist/bench/certificate-selection.js
 *
 * `BENCH_HANDSHAKES` (default 200) scales the work. Asserts nothing.
 */
import 'reflect-metadata';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER } from '../src/constants/ssl-constants.js';
import type { CertificateSelector } from '../src/context/certificate-selector.js';
import { SSLContext } from '../src/context/ssl-context.js';
import { engineAvailable } from '../src/transport/engines/engines.js';
import type { EngineKind } from '../src/transport/sansio/engine.js';
import { MemoryBIO } from '../src/transport/sansio/memory-bio.js';
import { handshake } from '../src/testing/pump.js';
import { createCertificateAuthority, issueCertificate } from '../src/x509/cert-factory.js';

const HANDSHAKES = Number(process.env.BENCH_HANDSHAKES ?? 200);
const REPEATS = 3;
const WARMUP = 40;

const ca = await createCertificateAuthority({ subject: 'CN=rxtls bench CA' });
const leaf = await issueCertificate(ca, {
  subject: 'CN=localhost',
  subjectAltNames: { dns: ['localhost'] },
});

function serverContext(engine: EngineKind): SSLContext {
  const ctx = new SSLContext(PROTOCOL_TLS_SERVER, { engine });
  ctx.loadCertChainData(leaf);
  return ctx;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

async function run(
  engine: EngineKind,
  selector: ((chosen: SSLContext) => CertificateSelector) | undefined,
) {
  const server = serverContext(engine);
  const chosen = serverContext(engine);
  if (selector) server.setCertificateSelector(selector(chosen));
  const client = new SSLContext(PROTOCOL_TLS_CLIENT, { engine });
  client.loadVerifyLocations({ cadata: ca.cert });
  const once = () =>
    handshake(
      client.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverHostname: 'localhost' }),
      server.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true }),
    );
  for (let i = 0; i < WARMUP; i++) await once();
  const rates: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < HANDSHAKES; i++) await once();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    rates.push(HANDSHAKES / seconds);
    cpus.push((used.user + used.system) / HANDSHAKES);
  }
  return { rate: median(rates), cpu: median(cpus) };
}

const CASES: [string, ((chosen: SSLContext) => CertificateSelector) | undefined][] = [
  ['no selector', undefined],
  ['answer at once', (chosen) => () => chosen],
  ['resolved Promise', (chosen) => () => Promise.resolve(chosen)],
  [
    'next turn',
    (chosen) => async () => {
      await nextTurn();
      return chosen;
    },
  ],
];

console.log('engine  case               handshakes/s  CPU µs/handshake (client + server)');
for (const engine of (['native', 'node'] as EngineKind[]).filter(engineAvailable)) {
  for (const [name, selector] of CASES) {
    const { rate, cpu } = await run(engine, selector);
    console.log(
      `${engine.padEnd(7)} ${name.padEnd(18)} ${rate.toFixed(0).padStart(12)}  ${cpu.toFixed(0).padStart(8)}`,
    );
  }
}
