/**
 * A ticket key ring kept in Redis, shared by every process and machine that names the same Redis
 * and ring (docs/architecture.md, Session tickets). One Lua script rotates and reads: Redis runs
 * it atomically, so of all the processes that find the newest key due, exactly one adds a key;
 * it then publishes on the ring's channel, and the others, subscribed, ask again at once (and
 * every sync interval anyway, should a message be lost). Time is Redis's own (TIME), so the
 * machines' clocks need not agree.
 *
 * The client is `redis` (node-redis), loaded only when a Redis store is made. Commands fail at
 * once while the connection is down (no offline queue): a rotation round is skipped, never
 * queued, and every process keeps its keys.
 */
import type { RotationPolicy, StoredRing, TicketKeyStore } from './ticket-key-store.js';
import { newTicketKey, TICKET_KEY_LENGTH } from './ticket-keys.js';

/** The ring as stored: `{ "rotatedAt": ms, "keys": [base64, ...] }`, newest first. */
const ROTATE_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local every = tonumber(ARGV[2])
local keep = tonumber(ARGV[3])
local ring = nil
if raw then
  local ok, decoded = pcall(cjson.decode, raw)
  if ok and type(decoded) == 'table' and type(decoded.keys) == 'table'
      and type(decoded.rotatedAt) == 'number' and #decoded.keys > 0 then
    ring = decoded
  end
end
if ring and (every == 0 or now - ring.rotatedAt < every) then return raw end
local keys = { ARGV[1] }
if ring then
  for _, key in ipairs(ring.keys) do
    if #keys >= keep then break end
    table.insert(keys, key)
  end
end
local out = cjson.encode({ rotatedAt = now, keys = keys })
redis.call('SET', KEYS[1], out)
redis.call('PUBLISH', KEYS[2], 'rotated')
return out
`;

/** How long a connection attempt may take; then the round is skipped. */
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnection backoff: 100 ms more per attempt, at most this. */
const MAX_RECONNECT_DELAY_MS = 2_000;

export interface RedisTicketKeyStoreOptions {
  /** `redis://HOST:PORT[/DB]` (and whatever else node-redis takes). */
  readonly url: string;
  /** The ring's name: servers that resume each other's sessions share one (default 'default'). */
  readonly name?: string;
}

type RedisClient = {
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  duplicate(): RedisClient;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  subscribe(channel: string, listener: () => void): Promise<unknown>;
  readonly isReady: boolean;
};

/** Parses the stored ring, leaving out (and saying why) whatever is not a 48-byte key. */
export function parseStoredRing(raw: unknown): StoredRing {
  const ignored: string[] = [];
  let parsed: { rotatedAt?: unknown; keys?: unknown } = {};
  try {
    parsed = JSON.parse(String(raw)) as typeof parsed;
  } catch {
    ignored.push('ticket key ring in Redis is not JSON: ignored');
  }
  const keys: Buffer[] = [];
  const stored = Array.isArray(parsed?.keys) ? parsed.keys : [];
  stored.forEach((value, index) => {
    const key = typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
    if (key?.length === TICKET_KEY_LENGTH) keys.push(key);
    else
      ignored.push(
        `ticket key ${index} in Redis ignored: ${key ? `${key.length} bytes, not ${TICKET_KEY_LENGTH}` : 'not a base64 string'}`,
      );
  });
  if (keys.length === 0) throw new Error(`no usable ticket key in Redis (${ignored.join('; ')})`);
  const rotatedAt = typeof parsed.rotatedAt === 'number' ? parsed.rotatedAt : 0;
  return { keys: Object.freeze(keys), rotatedAt, ignored };
}

/** A ring in Redis, shared across processes and machines. */
export class RedisTicketKeyStore implements TicketKeyStore {
  readonly #url: string;
  readonly #key: string;
  readonly #channel: string;
  #client: Promise<RedisClient> | undefined;
  #subscriber: RedisClient | undefined;
  readonly #listeners = new Set<() => void>();
  #closed = false;

  constructor(options: RedisTicketKeyStoreOptions) {
    if (!/^rediss?:\/\//.test(options.url)) {
      throw new RangeError(`a Redis ticket key store needs a redis:// URL, got '${options.url}'`);
    }
    this.#url = options.url;
    this.#key = `rxtls:ticket-keys:${options.name ?? 'default'}`;
    this.#channel = `${this.#key}:rotated`;
  }

  async sync(policy: RotationPolicy): Promise<StoredRing> {
    const client = await this.#connected();
    if (!client.isReady) throw new Error(`Redis at ${this.#where()} is not reachable`);
    const raw = await client.eval(ROTATE_SCRIPT, {
      keys: [this.#key, this.#channel],
      arguments: [
        newTicketKey().toString('base64'),
        String(policy.rotateEveryMs),
        String(policy.keep),
      ],
    });
    return parseStoredRing(raw);
  }

  watch(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    const client = this.#client;
    this.#client = undefined;
    // A client still being made is awaited: its subscriber exists only once it is made.
    (await client?.catch(() => undefined))?.destroy();
    this.#subscriber?.destroy();
    this.#subscriber = undefined;
  }

  /** The address without credentials, for messages. */
  #where(): string {
    const url = new URL(this.#url);
    return `${url.hostname}:${url.port || 6379}`;
  }

  /** The client, made and connecting on first use; reconnects on its own after that. */
  #connected(): Promise<RedisClient> {
    if (this.#closed) return Promise.reject(new Error('the ticket key store is closed'));
    this.#client ??= this.#open();
    return this.#client;
  }

  async #open(): Promise<RedisClient> {
    const { createClient } = (await import('redis')) as unknown as {
      createClient(options: object): RedisClient;
    };
    const client = createClient({
      url: this.#url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectStrategy: (retries: number) =>
          Math.min(100 * (retries + 1), MAX_RECONNECT_DELAY_MS),
      },
    });
    // Connection errors are the sync's to report (a rejected round); an unheard 'error' event
    // would end the process.
    client.on('error', () => undefined);
    const ready = client.connect().catch(() => undefined);
    const subscriber = client.duplicate();
    subscriber.on('error', () => undefined);
    this.#subscriber = subscriber;
    subscriber
      .connect()
      .then(() => subscriber.subscribe(this.#channel, () => this.#notify()))
      .catch(() => undefined);
    // The first round waits for the first attempt (not for the reconnections after it).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise((resolve) => {
      timer = setTimeout(resolve, CONNECT_TIMEOUT_MS);
      timer.unref();
    });
    await Promise.race([ready, waited]);
    clearTimeout(timer);
    return client;
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
