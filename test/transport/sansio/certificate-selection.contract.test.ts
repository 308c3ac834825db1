/**
 * The contract of asynchronous certificate selection (`SSLContext.setCertificateSelector`), run
 * against every engine: the ClientHello hook answers "not yet", the server's doHandshake() throws
 * SSLWantClientHelloError until the lookup settles, and the same handshake then goes on with the
 * chosen certificate, or ends with an alert and that connection's error. Two SSLObjects talk over
 * MemoryBIOs only; no sockets.
 */
import { Subject } from 'rxjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../../src/context/ssl-context.js';
import type { ClientHelloInfo } from '../../../src/context/certificate-selector.js';
import {
  ALERT_DESCRIPTION_UNRECOGNIZED_NAME,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  TLSVersion,
} from '../../../src/constants/ssl-constants.js';
import type { EngineKind } from '../../../src/transport/sansio/engine.js';
import { engineAvailable } from '../../../src/transport/engines/engines.js';
import {
  isFatal,
  isWouldBlock,
  SSLError,
  SSLErrorNumber,
  SSLWantClientHelloError,
  TLSTimeoutError,
  ValueError,
} from '../../../src/errors/errors.js';
import { MemoryBIO } from '../../../src/transport/sansio/memory-bio.js';
import type { ReadinessType, SSLObject } from '../../../src/transport/sansio/ssl-object.js';
import { type Pki, usePki } from '../../helpers/pki.js';
import { failureOf, handshake, pumpUntil, send, step, transfer } from '../../helpers/pump.js';

/** A promise settled from outside, so a test decides when a lookup answers (no timers). */
function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The subject's commonName of what getpeercert() answers. */
function commonName(obj: SSLObject): string | undefined {
  const cert = obj.getpeercert() as { subject?: [string, string][][] } | null;
  return cert?.subject?.flat().find(([k]) => k === 'commonName')?.[1];
}

/** Drives the server's handshake until it throws SSLWantClientHelloError; returns that error. */
async function untilLookup(c: SSLObject, s: SSLObject): Promise<SSLWantClientHelloError> {
  for (let round = 0; round < 100; round++) {
    try {
      c.doHandshake();
    } catch (error) {
      if (!isWouldBlock(error)) throw error;
    }
    transfer(c, s);
    try {
      s.doHandshake();
    } catch (error) {
      if (error instanceof SSLWantClientHelloError) return error;
      if (!isWouldBlock(error)) throw error;
    }
    transfer(c, s);
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('the server never waited for its lookup');
}

/** Sends the client's first flight with its ClientHello cut into two TLS records (legal, rare). */
function sendSplitHello(c: SSLObject, s: SSLObject): void {
  try {
    c.doHandshake();
  } catch (error) {
    if (!isWouldBlock(error)) throw error;
  }
  const wire = c.outgoing.read();
  const length = wire.readUInt16BE(3);
  const body = wire.subarray(5, 5 + length);
  const record = (part: Buffer) =>
    Buffer.concat([Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 0xff]), part]);
  const half = length >> 1;
  s.incoming.write(
    Buffer.concat([
      record(body.subarray(0, half)),
      record(body.subarray(half)),
      wire.subarray(5 + length),
    ]),
  );
}

const ENGINES = (['node', 'native'] as EngineKind[]).filter(engineAvailable);

for (const engine of ENGINES) {
  const test = suite<{ pki: Pki }>(`certificate selection contract (${engine} engine)`);
  const pki = usePki(test);

  function serverContext(name = 'server'): SSLContext {
    const ctx = new SSLContext(PROTOCOL_TLS_SERVER, { engine });
    ctx.loadCertChain(pki.path(name), pki.path(`${name}-key`));
    return ctx;
  }

  function clientContext(): SSLContext {
    const ctx = new SSLContext(PROTOCOL_TLS_CLIENT, { engine });
    ctx.loadVerifyLocations({ cafile: pki.path('ca') });
    return ctx;
  }

  function pair(
    server: SSLContext,
    serverHostname = 'alt.test',
    client = clientContext(),
  ): [SSLObject<SSLContext>, SSLObject<SSLContext>] {
    return [
      client.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverHostname }),
      server.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true }),
    ];
  }

  /** The server's error and the client's, once a refused handshake has run its course. */
  async function refusal(c: SSLObject, s: SSLObject): Promise<[SSLError, SSLError]> {
    try {
      c.doHandshake(); // the ClientHello, if it is not out yet
    } catch (error) {
      if (!isWouldBlock(error)) throw error;
    }
    const serverError = (await failureOf(s, () => {
      transfer(c, s);
      s.doHandshake();
    })) as SSLError;
    transfer(c, s);
    const clientError = (await failureOf(c, () => c.doHandshake())) as SSLError;
    return [serverError, clientError];
  }

  test('a lookup that resolves later: doHandshake() waits, then the same handshake serves the chosen certificate', async () => {
    const server = serverContext();
    const alt = serverContext('alt');
    const answer = deferred<SSLContext | null>();
    const seen: string[] = [];
    server.setCertificateSelector((hello) => {
      seen.push(`${hello.serverName}`);
      assert.is(hello.context, server);
      return answer.promise;
    });
    const [c, s] = pair(server);
    const events: ReadinessType[] = [];
    s.readiness$.subscribe((event) => events.push(event.type));
    const waiting = await untilLookup(c, s);
    assert.instance(waiting, SSLError);
    assert.is(waiting.errno, SSLErrorNumber.SSL_ERROR_WANT_CLIENT_HELLO_CB);
    assert.is(waiting.errno, 11);
    assert.is(waiting.code, 'ERR_SSL_WANT_CLIENT_HELLO_CB');
    assert.not.ok(isFatal(waiting));
    assert.not.ok(isWouldBlock(waiting));
    assert.ok(events.includes('want-client-hello'));
    // Retried while the lookup runs: the same answer, and nothing sent to the client.
    for (let i = 0; i < 3; i++) {
      try {
        s.doHandshake();
        assert.unreachable('the handshake went on before the lookup answered');
      } catch (error) {
        assert.instance(error, SSLWantClientHelloError);
      }
    }
    assert.is(s.outgoing.pending, 0);
    assert.equal(seen, ['alt.test']);
    answer.resolve(alt);
    await waiting.settled;
    assert.ok(events.includes('client-hello-settled'));
    await handshake(c, s);
    assert.equal(seen, ['alt.test'], 'the selector runs once per handshake');
    assert.is(commonName(c), 'alt.test');
    assert.is(s.context, alt);
    assert.is((await send(c, s, Buffer.from('ping'))).toString(), 'ping');
  });

  test('the testing pump retries on client-hello-settled; a null answer keeps the context', async () => {
    const server = serverContext();
    server.setCertificateSelector(() => Promise.resolve(null));
    const [c, s] = pair(server, 'localhost');
    await handshake(c, s);
    assert.is(commonName(c), 'localhost');
    assert.is(s.context, server);
  });

  test('an Observable lookup: its first value chooses; one that completes empty keeps the context', async () => {
    const alt = serverContext('alt');
    const server = serverContext();
    const answers = new Subject<SSLContext>();
    server.setCertificateSelector(() => answers);
    const [c, s] = pair(server);
    const waiting = await untilLookup(c, s);
    answers.next(alt);
    await waiting.settled;
    assert.not.ok(answers.observed, 'the lookup unsubscribed after its answer');
    await handshake(c, s);
    assert.is(commonName(c), 'alt.test');

    const empty = new Subject<SSLContext>();
    const other = serverContext();
    other.setCertificateSelector(() => empty);
    const [c2, s2] = pair(other, 'localhost');
    const waiting2 = await untilLookup(c2, s2);
    empty.complete();
    await waiting2.settled;
    await handshake(c2, s2);
    assert.is(commonName(c2), 'localhost');
  });

  test('an answer given at once never makes the handshake wait', async () => {
    const alt = serverContext('alt');
    const server = serverContext();
    server.setCertificateSelector((hello) => (hello.serverName === 'alt.test' ? alt : null));
    const [c, s] = pair(server);
    const events: ReadinessType[] = [];
    s.readiness$.subscribe((event) => events.push(event.type));
    await handshake(c, s);
    assert.is(commonName(c), 'alt.test');
    assert.not.ok(events.includes('want-client-hello'));
  });

  test('a rejected lookup ends that handshake with handshake_failure; a connection beside it succeeds', async () => {
    const server = serverContext();
    const alt = serverContext('alt');
    const lookups = new Map<string, ReturnType<typeof deferred<SSLContext>>>();
    server.setCertificateSelector((hello) => {
      const answer = deferred<SSLContext>();
      lookups.set(`${hello.serverName}`, answer);
      return answer.promise;
    });
    const [c1, s1] = pair(server, 'alt.test');
    const [c2, s2] = pair(server, 'localhost');
    const waiting1 = await untilLookup(c1, s1);
    const waiting2 = await untilLookup(c2, s2);
    const boom = new Error('secrets store unreachable');
    lookups.get('localhost')?.reject(boom);
    lookups.get('alt.test')?.resolve(alt);
    await Promise.all([waiting1.settled, waiting2.settled]);
    const [serverError, clientError] = await refusal(c2, s2);
    // As an SNI callback that throws (Python's behaviour): CALLBACK_FAILED on the server, with
    // the lookup's error as its cause, and the handshake_failure alert on the client.
    assert.is(serverError.reason, 'CALLBACK_FAILED');
    assert.is(serverError.cause, boom);
    assert.is(clientError.reason, 'SSLV3_ALERT_HANDSHAKE_FAILURE');
    await handshake(c1, s1);
    assert.is(commonName(c1), 'alt.test');
    assert.is((await send(s1, c1, Buffer.from('still here'))).toString(), 'still here');
  });

  test('a lookup may refuse with an alert of its choice (unrecognized_name)', async () => {
    const server = serverContext();
    server.setCertificateSelector(async () => ALERT_DESCRIPTION_UNRECOGNIZED_NAME);
    const [c, s] = pair(server, 'unknown.test');
    const [serverError, clientError] = await refusal(c, s);
    assert.is(serverError.reason, 'CALLBACK_FAILED');
    assert.is(clientError.reason, 'TLSV1_UNRECOGNIZED_NAME');
  });

  test('a lookup that outlives its timeout ends the handshake, with TLSTimeoutError as the cause and its signal aborted', async () => {
    const server = serverContext();
    let signal: AbortSignal | undefined;
    let failLate: ((error: Error) => void) | undefined;
    server.setCertificateSelector(
      (hello) => {
        signal = hello.signal;
        return new Promise<never>((_, reject) => {
          failLate = reject;
        });
      },
      { timeoutMs: 50 },
    );
    const [c, s] = pair(server);
    const waiting = await untilLookup(c, s);
    assert.is(signal?.aborted, false);
    await waiting.settled;
    assert.is(signal?.aborted, true);
    const [serverError, clientError] = await refusal(c, s);
    assert.is(serverError.reason, 'CALLBACK_FAILED');
    assert.instance(serverError.cause, TLSTimeoutError);
    assert.is((serverError.cause as TLSTimeoutError).phase, 'lookup');
    assert.is((serverError.cause as TLSTimeoutError).code, 'ERR_RXTLS_LOOKUP_TIMEOUT');
    assert.is(clientError.reason, 'SSLV3_ALERT_HANDSHAKE_FAILURE');
    // The lookup failing after its timeout is nobody's unhandled rejection.
    const unhandled: unknown[] = [];
    const hear = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', hear);
    try {
      failLate?.(new Error('too late'));
      for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', hear);
    }
    assert.equal(unhandled, []);
  });

  test('a selector that throws, or answers something that is not a context, refuses with handshake_failure', async () => {
    const boom = new Error('boom');
    const throwing = serverContext();
    throwing.setCertificateSelector(() => {
      throw boom;
    });
    const [c, s] = pair(throwing);
    const [serverError, clientError] = await refusal(c, s);
    assert.is(serverError.cause, boom);
    assert.is(clientError.reason, 'SSLV3_ALERT_HANDSHAKE_FAILURE');

    const wrong = serverContext();
    wrong.setCertificateSelector(async () => ({}) as unknown as SSLContext);
    const [c2, s2] = pair(wrong);
    const [serverError2] = await refusal(c2, s2);
    assert.is(serverError2.reason, 'CALLBACK_FAILED');
    assert.instance(serverError2.cause, TypeError);
  });

  test('the selector runs first, then the chosen context’s sniCallback (which may switch again)', async () => {
    const order: string[] = [];
    const alt = serverContext('alt');
    const server = serverContext();
    server.sniCallback = () => {
      order.push('server sni');
      return undefined;
    };
    alt.sniCallback = (sslobj, name) => {
      order.push(`alt sni ${name} ${sslobj.context === alt}`);
      return undefined;
    };
    server.setCertificateSelector(async () => {
      order.push('selector');
      return alt;
    });
    const [c, s] = pair(server);
    await handshake(c, s);
    assert.equal(order, ['selector', 'alt sni alt.test true']);
    assert.is(commonName(c), 'alt.test');

    // Keeping the context: its own sniCallback runs after the selector, with Python's semantics.
    const order2: string[] = [];
    const keeper = serverContext();
    keeper.setCertificateSelector(async () => {
      order2.push('selector');
      return null;
    });
    keeper.sniCallback = (sslobj, name) => {
      order2.push(`sni ${name}`);
      sslobj.context = alt;
      return undefined;
    };
    const [c2, s2] = pair(keeper);
    await handshake(c2, s2);
    assert.equal(order2, ['selector', 'sni alt.test']);
    assert.is(commonName(c2), 'alt.test');
  });

  test('a ClientHello cut into two records: the lookup still chooses, and a refusal still sends its alert', async () => {
    const alt = serverContext('alt');
    const server = serverContext();
    server.setCertificateSelector(async (hello) =>
      hello.serverName === 'alt.test' ? alt : ALERT_DESCRIPTION_UNRECOGNIZED_NAME,
    );
    const [c, s] = pair(server);
    sendSplitHello(c, s);
    await handshake(c, s);
    assert.is(commonName(c), 'alt.test');

    const [c2, s2] = pair(server, 'unknown.test');
    sendSplitHello(c2, s2);
    const [serverError, clientError] = await refusal(c2, s2);
    assert.is(serverError.reason, 'CALLBACK_FAILED');
    assert.is(clientError.reason, 'TLSV1_UNRECOGNIZED_NAME');

    // A plain sniCallback refusing such a ClientHello sends its alert too, as Python's.
    const named = serverContext();
    named.sniCallback = () => ALERT_DESCRIPTION_UNRECOGNIZED_NAME;
    const [c3, s3] = pair(named);
    sendSplitHello(c3, s3);
    const [, clientError3] = await refusal(c3, s3);
    assert.is(clientError3.reason, 'TLSV1_UNRECOGNIZED_NAME');
  });

  test('a HelloRetryRequest: the selector runs once, and its choice serves the second ClientHello', async () => {
    const alt = serverContext('alt');
    alt.setEcdhCurve('prime256v1');
    const server = serverContext();
    server.setEcdhCurve('prime256v1');
    let calls = 0;
    server.setCertificateSelector(async () => {
      calls++;
      return alt;
    });
    const client = clientContext();
    client.setEcdhCurve('X25519:prime256v1'); // a key share for X25519 only: the server asks again
    const [c, s] = pair(server, 'alt.test', client);
    await handshake(c, s);
    assert.is(calls, 1);
    assert.is(commonName(c), 'alt.test');
    assert.is(c.version(), 'TLSv1.3');
  });

  test('sessions resume through a selector that switched the context (TLS 1.2 and 1.3)', async () => {
    for (const version of [TLSVersion.TLSv1_2, TLSVersion.TLSv1_3]) {
      const alt = serverContext('alt');
      const server = serverContext();
      server.setCertificateSelector(async () => alt);
      const client = clientContext();
      client.maximumVersion = version;
      const [c, s] = pair(server, 'alt.test', client);
      await handshake(c, s);
      await send(s, c, Buffer.from('ticket')); // TLS 1.3 tickets come after the handshake
      const session = c.session;
      assert.ok(session);
      const c2 = client.wrapBio(new MemoryBIO(), new MemoryBIO(), {
        serverHostname: 'alt.test',
        session,
      });
      const s2 = server.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
      await handshake(c2, s2);
      assert.ok(c2.sessionReused, `resumed over ${c2.version()}`);
      assert.is(s2.context, alt);
    }
  });

  test('a client without SNI: the selector is told null', async () => {
    const server = serverContext();
    const names: (string | null)[] = [];
    server.setCertificateSelector(async (hello: ClientHelloInfo) => {
      names.push(hello.serverName);
      return null;
    });
    const client = clientContext();
    client.checkHostname = false;
    const c = client.wrapBio(new MemoryBIO(), new MemoryBIO());
    const s = server.wrapBio(new MemoryBIO(), new MemoryBIO(), { serverSide: true });
    await handshake(c, s);
    assert.equal(names, [null]);
  });

  test('TLS 1.2 clients wait for the lookup too', async () => {
    const alt = serverContext('alt');
    const server = serverContext();
    server.setCertificateSelector(async () => alt);
    const client = clientContext();
    client.maximumVersion = TLSVersion.TLSv1_2;
    const [c, s] = pair(server, 'alt.test', client);
    await handshake(c, s);
    assert.is(c.version(), 'TLSv1.2');
    assert.is(commonName(c), 'alt.test');
  });

  test('a connection destroyed during its lookup aborts the lookup; nothing escapes', async () => {
    const server = serverContext();
    let signal: AbortSignal | undefined;
    server.setCertificateSelector((hello) => {
      signal = hello.signal;
      return new Promise<never>(() => undefined);
    });
    const [c, s] = pair(server);
    const waiting = await untilLookup(c, s);
    s.destroy();
    await waiting.settled;
    assert.is(signal?.aborted, true);
    c.destroy();
  });

  test('setCertificateSelector checks its arguments as Python checks sni_callback', () => {
    const client = new SSLContext(PROTOCOL_TLS_CLIENT, { engine });
    assert.throws(
      () => client.setCertificateSelector(() => null),
      (e: unknown) => {
        return e instanceof ValueError && /TLS_CLIENT/.test(e.message);
      },
    );
    const server = serverContext();
    assert.throws(
      () => server.setCertificateSelector('x' as unknown as () => null),
      (e: unknown) => e instanceof TypeError,
    );
    for (const timeoutMs of [0, -1, Number.NaN, 2 ** 31]) {
      assert.throws(
        () => server.setCertificateSelector(() => null, { timeoutMs }),
        (e: unknown) => e instanceof ValueError,
      );
    }
    server.setCertificateSelector(() => null);
    server.setCertificateSelector(null);
  });

  test('a failing pump step still surfaces other errors', async () => {
    // The testing pump waits through a lookup but not through a real failure.
    const server = serverContext();
    server.setCertificateSelector(async () => ALERT_DESCRIPTION_UNRECOGNIZED_NAME);
    const [c, s] = pair(server);
    try {
      await pumpUntil(
        c,
        s,
        step(() => c.doHandshake()),
        step(() => s.doHandshake()),
      );
      assert.unreachable('the handshake succeeded');
    } catch (error) {
      assert.instance(error, SSLError);
      assert.not.instance(error, SSLWantClientHelloError);
    }
  });

  test.run();
}
