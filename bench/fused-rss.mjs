// Connections through the fused path in a loop, printing RSS as it goes: memory must stay flat.
// A createServer echo on native TCP and native-TCP clients in one process; each connection
// echoes 1 KiB, and then closes cleanly (two in three) or aborts (one in three), so both ends of
// socket.c's lifetimes (close, reset, GC of closed handles) run every time.
// Run: node --expose-gc bench/fused-rss.mjs [count]   (after `npm run build`)
import { randomBytes } from 'node:crypto';
import { connect } from '../dist/src/endpoints/connect.js';
import { createServer } from '../dist/src/endpoints/server.js';
import { Reactor } from '../dist/src/transport/stream/reactor.js';
import { contextPair, makePki } from '../dist/test/helpers/pki.js';

const count = Number(process.argv[2] ?? 20000);
const WIDTH = 32;
const pki = await makePki();
const { serverCtx, clientCtx } = contextPair(pki);
const reactor = new Reactor();
const server = createServer({ context: serverCtx, reactor }, (socket) => {
  socket.data$.subscribe({
    next: (chunk) => socket.write(chunk),
    complete: () => void socket.close(),
    error: () => undefined,
  });
});
const { port } = await server.listen(0, '127.0.0.1');
const payload = randomBytes(1024);

async function one(i) {
  const client = await connect({
    host: '127.0.0.1',
    port,
    context: clientCtx,
    reactor,
    serverHostname: 'localhost',
  });
  const echoed = new Promise((resolve) => {
    let got = 0;
    client.data$.subscribe({
      next: (chunk) => {
        got += chunk.length;
        if (got >= payload.length) resolve();
      },
      error: resolve,
      complete: resolve,
    });
  });
  client.write(payload);
  await echoed;
  if (i % 3 === 2) client.abort();
  else await client.close();
}

const rss = () => (process.memoryUsage().rss / 1024 / 1024).toFixed(1);
let next = 0;
let done = 0;
const step = Math.max(1000, Math.floor(count / 10));
await Promise.all(
  Array.from({ length: WIDTH }, async () => {
    while (next < count) {
      await one(next++);
      done += 1;
      if (done % step === 0) {
        globalThis.gc?.();
        console.log(`${done} connections: RSS ${rss()} MiB, live ${reactor.stats().connections}`);
      }
    }
  }),
);
await server.close({ timeoutMs: 5_000 });
globalThis.gc?.();
console.log(`done: RSS ${rss()} MiB, stats ${JSON.stringify(reactor.stats())}`);
pki.remove();
