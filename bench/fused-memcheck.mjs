// The fused path (native TCP + native engine) under memcheck: scripts/native-memcheck.sh N fused.
// Clean echoes, slow readers, aborts mid-stream, servers that destroy their side with data in
// flight (abort, RST under a live engine, close then transport destroy), and STARTTLS unwraps
// with plaintext right behind the close_notify; certificate selection (the handshake suspended in
// OpenSSL's client hello callback, then a switch, a refusal, or the client leaving during the
// lookup); half of the clients use native TCP too. Not a timed test.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from '../dist/src/endpoints/server.js';
import { connect } from '../dist/src/endpoints/connect.js';
import { Reactor } from '../dist/src/transport/stream/reactor.js';
import { NativeTcpTransport } from '../dist/src/transport/engines/native/native-tcp.js';
import { contextPair, makePki } from '../dist/test/helpers/pki.js';

const COUNT = Number(process.argv[2] ?? 40);
const log = (...a) => console.log(`[${(performance.now() / 1000).toFixed(1)}s]`, ...a);
const tally = {};
const note = (k) => (tally[k] = (tally[k] ?? 0) + 1);

const pki = await makePki();
const { serverCtx, clientCtx } = contextPair(pki);
const reactor = new Reactor();

function echoHandler(socket) {
  socket.data$.subscribe({
    next: (chunk) => {
      try {
        if (!socket.write(chunk)) socket.pause();
      } catch {
        note('echo-write-after-close');
      }
    },
    complete: () => void socket.close().catch(() => undefined),
    error: () => undefined,
  });
  socket.writable$.subscribe(() => socket.resume());
}

// A: plain echo. B: destroys the server side while data is in flight (abort, or RST under a live
// engine). C: STARTTLS unwrap right after the handshake.
const serverA = createServer({ context: serverCtx, reactor, tcp: 'native' }, echoHandler);
let bCount = 0;
const serverB = createServer({ context: serverCtx, reactor, tcp: 'native' }, (socket) => {
  const variant = bCount++ % 3;
  let got = 0;
  socket.data$.subscribe({
    next: (chunk) => {
      got += chunk.length;
      try {
        socket.write(chunk);
      } catch {
        return;
      }
      if (got >= 4096) {
        if (variant === 0) socket.abort();
        else if (variant === 1) socket.transport.destroy(new Error('rst under a live engine'));
        else {
          // graceful close started, then the transport goes while the close_notify is in flight
          void socket.close().catch(() => undefined);
          socket.transport.destroy();
        }
      }
    },
    error: () => undefined,
  });
});
const plainDone = [];
const serverC = createServer({ context: serverCtx, reactor, tcp: 'native' }, (socket) => {
  socket.data$.subscribe({ error: () => undefined });
  void socket
    .handshake()
    .then(() => socket.unwrap())
    .then((plain) => {
      const chunks = [];
      plainDone.push(
        new Promise((resolve) =>
          plain.data$.subscribe({
            next: (c) => chunks.push(c),
            complete: () => {
              resolve(Buffer.concat(chunks).toString());
              plain.destroy();
            },
            error: (e) => {
              resolve(`error ${e.message}`);
              plain.destroy();
            },
          }),
        ),
      );
    })
    .catch((e) => log('server unwrap failed', e.message));
});
// D: the certificate selector, answered a turn later with a switch, refused with
// unrecognized_name, or waiting until the client leaves (its stream fails, the lookup is aborted).
const selecting = contextPair(pki).serverCtx;
selecting.setCertificateSelector(
  async ({ serverName, signal }) => {
    if (serverName === 'leave.test') {
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      return null;
    }
    await sleep(5);
    return serverName === 'localhost' ? serverCtx : 112;
  },
  { timeoutMs: 20_000 },
);
const serverD = createServer({ context: selecting, reactor, tcp: 'native' }, echoHandler);
const [pa, pb, pc, pd] = [
  (await serverA.listen(0, '127.0.0.1')).port,
  (await serverB.listen(0, '127.0.0.1')).port,
  (await serverC.listen(0, '127.0.0.1')).port,
  (await serverD.listen(0, '127.0.0.1')).port,
];
log('listening', pa, pb, pc, pd);

async function open(port, nativeClient, serverHostname = 'localhost', timeoutMs = undefined) {
  const base = {
    host: '127.0.0.1',
    port,
    context: clientCtx,
    reactor,
    serverHostname,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
  if (!nativeClient) return connect(base);
  const transport = await NativeTcpTransport.connect({ host: '127.0.0.1', port });
  return connect({ ...base, transport });
}

function readAll(socket, until, onChunk) {
  return new Promise((resolve) => {
    let got = 0;
    const sub = socket.data$.subscribe({
      next: (c) => {
        got += c.length;
        onChunk?.(got);
        if (got >= until) resolve(got);
      },
      complete: () => resolve(got),
      error: () => resolve(got),
    });
    void sub;
  });
}

async function clean(i, nativeClient) {
  const s = await open(pa, nativeClient);
  const payload = randomBytes(2048 + i * 97);
  const echoed = readAll(s, payload.length);
  for (let o = 0; o < payload.length; o += 700) s.write(payload.subarray(o, o + 700));
  const got = await echoed;
  await s.close().catch(() => undefined);
  note(got === payload.length ? 'clean-ok' : 'clean-short');
}

// A client that reads nothing for a while: what arrives meanwhile is copied out of the socket's
// lent buffer into the engine's inbox (native/inbox.c), and read from there after resume().
async function slowReader(i, nativeClient) {
  const s = await open(pa, nativeClient);
  const payload = randomBytes(256 * 1024 + i);
  s.pause();
  const echoed = readAll(s, payload.length);
  for (let o = 0; o < payload.length; o += 16384) s.write(payload.subarray(o, o + 16384));
  await sleep(50);
  s.resume();
  const got = await echoed;
  await s.close().catch(() => undefined);
  note(got === payload.length ? 'slow-reader-ok' : 'slow-reader-short');
}

async function aborting(_i, nativeClient) {
  const s = await open(pa, nativeClient);
  const payload = randomBytes(16 * 1024);
  const first = readAll(s, 1);
  s.write(payload.subarray(0, 8192));
  await first;
  s.write(payload.subarray(8192)); // still in flight
  s.abort();
  note('aborted');
}

async function serverDestroys(_i, nativeClient) {
  const s = await open(pb, nativeClient);
  const payload = randomBytes(48 * 1024);
  const done = readAll(s, Infinity);
  for (let o = 0; o < payload.length; o += 4096) s.write(payload.subarray(o, o + 4096));
  const closed = new Promise((resolve) => s.closed$.subscribe({ complete: resolve }));
  await Promise.race([done, sleep(30000)]);
  await Promise.race([closed, sleep(30000)]);
  s.abort();
  note('server-destroyed');
}

async function starttls(i, nativeClient) {
  const s = await open(pc, nativeClient);
  await sleep(50);
  const down = s.unwrap();
  s.transport.write(Buffer.from(`plaintext after close_notify ${i}`));
  const plain = await down;
  plain.end();
  await sleep(200);
  plain.destroy();
  note('starttls');
}

async function selected(i, nativeClient) {
  const variant = Math.floor(i / 5) % 3;
  const name = ['localhost', 'refused.test', 'leave.test'][variant];
  try {
    const s = await open(pd, nativeClient, name, variant === 2 ? 300 : undefined);
    const echoed = readAll(s, 1000);
    s.write(randomBytes(1000));
    await echoed;
    await s.close().catch(() => undefined);
    note('selected-ok');
  } catch (e) {
    note(`selection-${variant === 1 ? 'refused' : 'left'}:${e.reason ?? e.code ?? e.message}`);
  }
}

const kinds = [clean, aborting, serverDestroys, selected, aborting, slowReader];
const jobs = [];
for (let i = 0; i < COUNT; i++) {
  const nativeClient = i % 2 === 1;
  const run = i === 7 || i === 20 ? starttls : kinds[i % kinds.length];
  jobs.push(
    (async () => {
      await sleep((i % 8) * 20);
      try {
        await run(i, nativeClient);
      } catch (e) {
        note(`fail:${run.name}:${e.code ?? e.message}`);
      }
    })(),
  );
  if (jobs.length % 8 === 0) await Promise.allSettled(jobs.slice(-8));
}
await Promise.allSettled(jobs);
log('clients done', JSON.stringify(tally));
const plain = await Promise.race([Promise.all(plainDone), sleep(20000).then(() => 'timeout')]);
log('starttls server saw', JSON.stringify(plain));
for (const [n, s] of [
  ['A', serverA],
  ['B', serverB],
  ['C', serverC],
  ['D', serverD],
]) {
  const live = [...s.connections].map(
    (c) => `${c.state}/closing=${c.transport?.constructor?.name}`,
  );
  const t0 = performance.now();
  await s.close({ timeoutMs: 5000 });
  log(`server ${n} closed in ${(performance.now() - t0).toFixed(0)} ms; had`, JSON.stringify(live));
}
log(
  'servers closed; live',
  serverA.connections.size,
  serverB.connections.size,
  serverC.connections.size,
  serverD.connections.size,
);
for (let k = 0; k < 4; k++) {
  globalThis.gc?.();
  await sleep(100);
}
log('stats', JSON.stringify(reactor.stats()));
pki.remove();
