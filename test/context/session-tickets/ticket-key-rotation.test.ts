/**
 * rotateTicketKeys over the in-process store and a real Redis (its own redis-server per test):
 * rotation on a schedule, one ring shared by two stores as by two machines, pub/sub pick-up,
 * and the faults: Redis down at start, gone mid-run, back again, holding a malformed key. No
 * handshake depends on Redis; no key reaches an event.
 */
import { randomBytes } from 'node:crypto';
import {
  filter,
  firstValueFrom,
  type Observable,
  ReplaySubject,
  take,
  timeout,
  toArray,
} from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../../src/context/ssl-context.js';
import {
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  TLSVersion,
} from '../../../src/constants/ssl-constants.js';
import { RedisTicketKeyStore } from '../../../src/context/session-tickets/redis-ticket-key-store.js';
import {
  rotateTicketKeys,
  type TicketKeyEvent,
  type TicketKeyRotationOptions,
} from '../../../src/context/session-tickets/ticket-key-rotation.js';
import { MemoryTicketKeyStore } from '../../../src/context/session-tickets/ticket-key-store.js';
import { usePki } from '../../helpers/pki.js';
import { resumeInMemory } from '../../helpers/pump.js';
import { redisCli, startRedis, type TestRedis } from '../../helpers/redis.js';

const test = suite('ticket key rotation');
const pki = usePki(test);
const DEADLINE_MS = 30_000;

/** Everything opened by a test, closed after it whatever happened. */
const cleanups: (() => unknown)[] = [];
test.after.each(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function server(): SSLContext {
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(pki.path('server-combined'));
  return context;
}

function client(): SSLContext {
  const context = new SSLContext(PROTOCOL_TLS_CLIENT);
  context.loadVerifyLocations({ cafile: pki.path('ca') });
  context.maximumVersion = TLSVersion.TLSv1_3;
  return context;
}

/** Starts a rotation for `context`; its events, replayed to every later wait. */
function rotate(
  context: SSLContext,
  options: TicketKeyRotationOptions,
): ReplaySubject<TicketKeyEvent> {
  const events = new ReplaySubject<TicketKeyEvent>();
  const subscription = rotateTicketKeys(context, options).subscribe(events);
  cleanups.push(() => subscription.unsubscribe());
  return events;
}

/** The `count`-th event of `type` (1-based), waiting at most the deadline. */
function nth(
  events: Observable<TicketKeyEvent>,
  type: TicketKeyEvent['type'],
  count = 1,
  where: (event: TicketKeyEvent) => boolean = () => true,
): Promise<TicketKeyEvent> {
  return firstValueFrom(
    events.pipe(
      filter((event) => event.type === type && where(event)),
      take(count),
      toArray(),
      timeout(DEADLINE_MS),
    ),
  ).then((all) => all[all.length - 1] as TicketKeyEvent);
}

async function redis(): Promise<TestRedis> {
  const started = await startRedis();
  cleanups.push(() => started.stop());
  return started;
}

function redisStore(url: string): RedisTicketKeyStore {
  const store = new RedisTicketKeyStore({ url });
  cleanups.push(() => store.close());
  return store;
}

/** Every key a context held, as the text forms a log line could show them in. */
function keyTexts(keys: Buffer): string[] {
  const texts: string[] = [];
  for (let at = 0; at < keys.length; at += 48) {
    const key = keys.subarray(at, at + 48);
    texts.push(key.toString('hex').slice(0, 16), key.toString('base64').slice(0, 16));
    texts.push(key.subarray(16).toString('hex').slice(0, 16));
  }
  return texts;
}

test('in-process: a new key every period, the ring capped at `keep`, older keys shifted', async () => {
  const context = server();
  const events = rotate(context, { rotateEveryMs: 30, keep: 3, syncEveryMs: 10 });
  const rings: Buffer[] = [];
  for (let n = 1; n <= 4; n++) {
    await nth(events, 'applied', n);
    rings.push(context.getTicketKeys());
  }
  assert.equal(
    rings.map((ring) => ring.length / 48),
    [1, 2, 3, 3],
  );
  for (let n = 1; n < rings.length; n++) {
    const [before, after] = [rings[n - 1] as Buffer, rings[n] as Buffer];
    assert.equal(after.subarray(48), before.subarray(0, Math.min(before.length, 96)));
  }
});

test('in-process: a store shared by two contexts gives both one ring; tickets cross', async () => {
  const store = new MemoryTicketKeyStore();
  const [a, b] = [server(), server()];
  const options = { store, rotateEveryMs: 0 };
  await nth(rotate(a, options), 'applied');
  await nth(rotate(b, options), 'applied');
  assert.equal(a.getTicketKeys(), b.getTicketKeys());
  const ctx = client();
  const first = await resumeInMemory(ctx, a);
  assert.is((await resumeInMemory(ctx, b, first.session)).reused, true);
});

test('options are checked', () => {
  const context = server();
  for (const bad of [{ keep: 0 }, { keep: 65 }, { rotateEveryMs: -1 }, { syncEveryMs: 0 }]) {
    assert.throws(() => rotateTicketKeys(context, bad), RangeError);
  }
  assert.throws(() => new RedisTicketKeyStore({ url: 'http://x' }), RangeError);
});

test('Redis: two stores (two machines) share one ring; a session from one resumes on the other', async () => {
  const r = await redis();
  const [a, b] = [server(), server()];
  await nth(rotate(a, { store: redisStore(r.url), rotateEveryMs: 0 }), 'applied');
  await nth(rotate(b, { store: redisStore(r.url), rotateEveryMs: 0 }), 'applied');
  assert.equal(a.getTicketKeys(), b.getTicketKeys());
  const ctx = client();
  const first = await resumeInMemory(ctx, a);
  assert.is((await resumeInMemory(ctx, b, first.session)).reused, true);
  assert.is((await resumeInMemory(ctx, a, first.session)).reused, true);
});

test('Redis: one process rotates, another takes the new key by pub/sub, not polling', async () => {
  const r = await redis();
  const [a, b] = [server(), server()];
  // b never polls within the test's deadline: only the publication can tell it.
  const bEvents = rotate(b, { store: redisStore(r.url), rotateEveryMs: 0, syncEveryMs: 600_000 });
  await nth(bEvents, 'applied');
  const initial = b.getTicketKeys();
  const aEvents = rotate(a, {
    store: redisStore(r.url),
    rotateEveryMs: 1_000,
    keep: 2,
    syncEveryMs: 50,
  });
  const rotated = (event: TicketKeyEvent) => event.type === 'applied' && event.keys === 2;
  await nth(aEvents, 'applied', 1, rotated);
  await nth(bEvents, 'applied', 1, rotated);
  // b's new ring is a's rotation of the ring b started with: a new key, then the old one.
  assert.equal(b.getTicketKeys().subarray(48), initial);
  const stored = JSON.parse(await redisCli(r, 'GET', 'rxtls:ticket-keys:default')) as {
    keys: string[];
  };
  assert.ok(stored.keys.length <= 2, 'keep caps the stored ring');
});

test('Redis: servers racing to rotate make one history (the Lua script rotates atomically)', async () => {
  const r = await redis();
  const contexts = [server(), server(), server()];
  const newerOf = new Map<string, string>();
  let forks = 0;
  const seen = contexts.map((context) => {
    const events = rotate(context, {
      store: redisStore(r.url),
      rotateEveryMs: 100,
      keep: 64,
      syncEveryMs: 10,
    });
    events.subscribe((event) => {
      if (event.type !== 'applied') return;
      const ring = context.getTicketKeys();
      for (let at = 48; at < ring.length; at += 48) {
        const older = ring.subarray(at, at + 48).toString('hex');
        const newer = ring.subarray(at - 48, at).toString('hex');
        if ((newerOf.get(older) ?? newer) !== newer) forks++;
        newerOf.set(older, newer);
      }
    });
    return nth(events, 'applied', 1, (event) => event.type === 'applied' && event.keys >= 6);
  });
  await Promise.all(seen);
  assert.is(forks, 0, 'no key ever had two different successors');
  assert.ok(newerOf.size >= 5);
});

test('Redis down at start: handshakes work on an in-process ring; rotation resumes when it is back', async () => {
  const r = await redis();
  await r.down();
  const [a, b] = [server(), server()];
  const options = { rotateEveryMs: 0, syncEveryMs: 100 };
  const aEvents = rotate(a, { ...options, store: redisStore(r.url) });
  const warning = await nth(aEvents, 'warning');
  assert.match((warning as { message: string }).message, /unreachable, keeping the current keys/);
  const fallback = await nth(aEvents, 'applied');
  assert.is((fallback as { source: string }).source, 'fallback');
  const ctx = client();
  const first = await resumeInMemory(ctx, a);
  assert.is((await resumeInMemory(ctx, a, first.session)).reused, true);
  await r.up();
  await nth(aEvents, 'applied', 1, (event) => event.type === 'applied' && event.source === 'store');
  await nth(rotate(b, { ...options, store: redisStore(r.url) }), 'applied');
  assert.equal(a.getTicketKeys(), b.getTicketKeys());
  const again = await resumeInMemory(ctx, a);
  assert.is((await resumeInMemory(ctx, b, again.session)).reused, true);
});

test('Redis gone mid-run: every process keeps its keys and resumes; back again, rotation resumes', async () => {
  const r = await redis();
  const a = server();
  const events = rotate(a, { store: redisStore(r.url), rotateEveryMs: 0, syncEveryMs: 100 });
  await nth(events, 'applied');
  const keys = a.getTicketKeys();
  const ctx = client();
  const first = await resumeInMemory(ctx, a);
  await r.down();
  await nth(events, 'warning');
  assert.equal(a.getTicketKeys(), keys, 'the keys stay while Redis is away');
  assert.is((await resumeInMemory(ctx, a, first.session)).reused, true);
  await r.up();
  // The restarted Redis is empty: the first process back makes a new ring and everyone takes it.
  await nth(events, 'applied', 2);
  assert.not.equal(a.getTicketKeys(), keys);
  assert.is((await resumeInMemory(ctx, a)).reused, false);
});

test('Redis holding a malformed key: the key is ignored with a reason, the good ones serve', async () => {
  const r = await redis();
  const good = randomBytes(48);
  const bad = randomBytes(47);
  const ring = {
    rotatedAt: Date.now(),
    keys: [good.toString('base64'), bad.toString('base64'), 7],
  };
  await redisCli(r, 'SET', 'rxtls:ticket-keys:default', JSON.stringify(ring));
  const a = server();
  const events = rotate(a, { store: redisStore(r.url), rotateEveryMs: 0 });
  await nth(events, 'applied');
  assert.equal(a.getTicketKeys(), good);
  const warnings = await firstValueFrom(
    events.pipe(
      filter((event) => event.type === 'warning'),
      take(2),
      toArray(),
      timeout(DEADLINE_MS),
    ),
  );
  const messages = warnings.map((event) => (event as { message: string }).message);
  assert.equal(messages, [
    'ticket key 1 in Redis ignored: 47 bytes, not 48',
    'ticket key 2 in Redis ignored: not a base64 string',
  ]);
  const everything = JSON.stringify(warnings);
  for (const text of [...keyTexts(good), bad.toString('base64').slice(0, 16)]) {
    assert.not.ok(everything.includes(text), 'no key bytes in a message');
  }
});

test('Redis holding garbage: a new ring replaces it', async () => {
  const r = await redis();
  await redisCli(r, 'SET', 'rxtls:ticket-keys:default', 'not json at all');
  const a = server();
  const events = rotate(a, { store: redisStore(r.url), rotateEveryMs: 0 });
  const applied = await nth(events, 'applied');
  assert.is((applied as { keys: number }).keys, 1);
  const stored = JSON.parse(await redisCli(r, 'GET', 'rxtls:ticket-keys:default')) as {
    keys: string[];
  };
  assert.equal(Buffer.from(stored.keys[0] as string, 'base64'), a.getTicketKeys());
});

test('no event ever shows a key', async () => {
  const r = await redis();
  const a = server();
  const events = rotate(a, {
    store: redisStore(r.url),
    rotateEveryMs: 50,
    keep: 3,
    syncEveryMs: 20,
  });
  await nth(events, 'applied', 3);
  await r.down();
  await nth(events, 'warning');
  const all = await firstValueFrom(events.pipe(take(4), toArray()));
  const text = JSON.stringify(all);
  for (const key of keyTexts(a.getTicketKeys())) assert.not.ok(text.includes(key));
});

test.run();
