/**
 * The rxtls diagnostics channels over real TCP on 127.0.0.1: handshake start and end (version,
 * cipher, resumption, ALPN, duration), verification failures, and each stream's close with its
 * byte counts and reason (close_notify, ragged EOF, timeout, error, abort); and nothing published
 * without a subscriber.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import net from 'node:net';
import { firstValueFrom } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROTOCOL_TLS_CLIENT } from '../../../src/constants/ssl-constants.js';
import { SSLContext } from '../../../src/context/ssl-context.js';
import { connect } from '../../../src/endpoints/connect.js';
import { createServer, type Server, type ServerOptions } from '../../../src/endpoints/server.js';
import { SSLCertVerificationError, TLSTimeoutError } from '../../../src/errors/errors.js';
import {
  CHANNEL_HANDSHAKE_END,
  CHANNEL_HANDSHAKE_START,
  CHANNEL_STREAM_CLOSE,
  CHANNEL_VERIFY_FAILURE,
  type HandshakeEndMessage,
  type HandshakeStartMessage,
  type StreamCloseMessage,
  type VerifyFailureMessage,
} from '../../../src/index.js';
import { Reactor } from '../../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../../src/transport/stream/ssl-socket.js';
import { contextPair, usePki } from '../../helpers/pki.js';
import { echo } from '../../helpers/streams.js';

const pki = usePki(test);

type Stream = SSLSocket<SSLContext>;

/** Every message of the four channels while subscribed, with a wait for a condition on them. */
class Recorder {
  readonly starts: HandshakeStartMessage[] = [];
  readonly ends: HandshakeEndMessage[] = [];
  readonly verifyFailures: VerifyFailureMessage[] = [];
  readonly closes: StreamCloseMessage[] = [];
  #waiters: (() => void)[] = [];
  readonly #listeners: [string, (message: unknown) => void][] = [
    [CHANNEL_HANDSHAKE_START, (m) => this.#add(this.starts, m as HandshakeStartMessage)],
    [CHANNEL_HANDSHAKE_END, (m) => this.#add(this.ends, m as HandshakeEndMessage)],
    [CHANNEL_VERIFY_FAILURE, (m) => this.#add(this.verifyFailures, m as VerifyFailureMessage)],
    [CHANNEL_STREAM_CLOSE, (m) => this.#add(this.closes, m as StreamCloseMessage)],
  ];

  constructor() {
    for (const [name, listener] of this.#listeners) diagnosticsChannel.subscribe(name, listener);
  }

  #add<T>(list: T[], message: T): void {
    list.push(message);
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** Resolves once `done()` holds (checked on every message), failing after a generous deadline. */
  until(done: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} in 20 s`)), 20_000);
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.#waiters.push(check);
        }
      };
      check();
    });
  }

  /** The messages about `socket` on each channel. */
  of(socket: SSLSocket<unknown>) {
    const mine = <T extends { socket: SSLSocket<unknown> }>(list: T[]) =>
      list.filter((m) => m.socket === socket);
    return {
      starts: mine(this.starts),
      ends: mine(this.ends),
      verifyFailures: mine(this.verifyFailures),
      closes: mine(this.closes),
    };
  }

  stop(): void {
    for (const [name, listener] of this.#listeners) diagnosticsChannel.unsubscribe(name, listener);
  }
}

async function serve(
  context: SSLContext,
  handle: (socket: Stream) => void,
  options: Partial<ServerOptions> = {},
): Promise<{ server: Server; port: number; reactor: Reactor }> {
  const reactor = new Reactor();
  const server = createServer({ context, reactor, ...options }, handle);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port, reactor };
}

test('handshake start and end, and close_notify closes, with versions, ALPN, durations and matching byte counts', async () => {
  const { serverCtx, clientCtx } = contextPair(pki);
  serverCtx.setAlpnProtocols(['h2', 'http/1.1']);
  clientCtx.setAlpnProtocols(['http/1.1']);
  const recorder = new Recorder();
  try {
    const { server, port, reactor } = await serve(serverCtx, echo);
    const accepted = firstValueFrom(server.connections$);
    const client = await connect({ host: 'localhost', port, context: clientCtx, reactor });
    const serverSide = await accepted;
    client.write('hello');
    const reply = await client.read();
    assert.is(reply.toString(), 'hello');
    const cipher = client.cipher()?.[0];
    await client.close();
    await recorder.until(() => recorder.of(serverSide).closes.length === 1, 'server close');
    const c = recorder.of(client);
    const s = recorder.of(serverSide);
    assert.is(c.starts.length, 1);
    assert.is(c.starts[0]?.serverSide, false);
    assert.is(c.starts[0]?.serverHostname, 'localhost');
    assert.is(s.starts.length, 1);
    assert.is(s.starts[0]?.serverSide, true);
    assert.is(s.starts[0]?.serverHostname, null);
    for (const [side, ends] of [
      [false, c.ends],
      [true, s.ends],
    ] as const) {
      assert.is(ends.length, 1);
      const end = ends[0] as HandshakeEndMessage;
      assert.is(end.serverSide, side);
      assert.is(end.ok, true);
      assert.is(end.version, 'TLSv1.3');
      assert.is(end.cipher, cipher);
      assert.type(end.cipher, 'string');
      assert.is(end.resumed, false);
      assert.is(end.alpn, 'http/1.1');
      assert.ok(end.durationMs >= 0 && Number.isFinite(end.durationMs));
      assert.is(end.error, undefined);
    }
    assert.is(c.verifyFailures.length + s.verifyFailures.length, 0);
    const [clientClose, serverClose] = [c.closes[0], s.closes[0]] as [
      StreamCloseMessage,
      StreamCloseMessage,
    ];
    assert.is(c.closes.length, 1);
    assert.is(clientClose.reason, 'close-notify');
    assert.is(serverClose.reason, 'close-notify');
    assert.is(clientClose.error, undefined);
    assert.is(clientClose.errorClass, null);
    assert.ok(clientClose.bytesOut > 0 && clientClose.bytesIn > 0);
    // Every byte one side sent, the other received, close_notify included.
    assert.is(clientClose.bytesOut, serverClose.bytesIn);
    assert.is(clientClose.bytesIn, serverClose.bytesOut);
    await server.close();
  } finally {
    recorder.stop();
  }
});

test('a resumed session says so at both ends', async () => {
  const { serverCtx, clientCtx } = contextPair(pki);
  const recorder = new Recorder();
  try {
    const { server, port, reactor } = await serve(serverCtx, echo);
    const first = await connect({ host: 'localhost', port, context: clientCtx, reactor });
    first.write('ticket time'); // TLS 1.3 tickets come after the handshake: one round trip
    await first.read();
    const session = first.session;
    assert.ok(session);
    await first.close();
    const accepted = firstValueFrom(server.connections$);
    const second = await connect({ host: 'localhost', port, context: clientCtx, reactor, session });
    const serverSide = await accepted;
    await serverSide.handshake();
    assert.is(second.sessionReused, true);
    assert.is(recorder.of(first).ends[0]?.resumed, false);
    assert.is(recorder.of(second).ends[0]?.resumed, true);
    assert.is(recorder.of(serverSide).ends[0]?.resumed, true);
    await second.close();
    await server.close();
    assert.is(reactor.stats().handshakesResumed, 2, 'the reactor counts both ends resumed');
  } finally {
    recorder.stop();
  }
});

test('a verification failure: its code and message, the failed handshake end and an error close', async () => {
  const { serverCtx } = contextPair(pki);
  const distrusting = new SSLContext(PROTOCOL_TLS_CLIENT);
  distrusting.loadVerifyLocations({ cafile: pki.path('otherCa') });
  const recorder = new Recorder();
  try {
    const { server, port, reactor } = await serve(serverCtx, echo);
    const accepted = firstValueFrom(server.connections$);
    const failure = await connect({ host: 'localhost', port, context: distrusting, reactor }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.instance(failure, SSLCertVerificationError);
    const serverSide = await accepted;
    await recorder.until(
      () => recorder.closes.length === 2 && recorder.of(serverSide).closes.length === 1,
      'both closes',
    );
    const [verify] = recorder.verifyFailures;
    assert.is(recorder.verifyFailures.length, 1);
    assert.is(verify?.serverSide, false);
    assert.is(verify?.verifyCode, 20); // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    assert.match(verify?.verifyMessage ?? '', 'unable to get local issuer certificate');
    assert.instance(verify?.error, SSLCertVerificationError);
    const client = verify?.socket as SSLSocket<unknown>;
    const clientEnd = recorder.of(client).ends;
    assert.is(clientEnd.length, 1);
    assert.is(clientEnd[0]?.ok, false);
    assert.is(clientEnd[0]?.version, null);
    assert.instance(clientEnd[0]?.error, SSLCertVerificationError);
    assert.is(recorder.of(client).closes[0]?.reason, 'error');
    assert.is(recorder.of(client).closes[0]?.errorClass, 'SSLCertVerificationError');
    // The server hears the client's alert (the native engine sends one); the node engine's
    // client verifies after OpenSSL's handshake and closes without an alert, as Node's own TLS
    // client does: the server sees an EOF in the handshake.
    const serverEnd = recorder.of(serverSide).ends;
    assert.is(serverEnd.length, 1);
    assert.is(serverEnd[0]?.ok, false);
    const serverClose = recorder.of(serverSide).closes[0];
    assert.ok(serverClose?.error);
    assert.is(
      serverClose.reason,
      serverClose.errorClass === 'SSLEOFError' ? 'ragged-eof' : 'error',
    );
    await server.close();
  } finally {
    recorder.stop();
  }
});

test('a handshake timeout, a ragged EOF and an abort say so on close', async () => {
  const { serverCtx, clientCtx } = contextPair(pki);
  const recorder = new Recorder();
  try {
    const { server, port, reactor } = await serve(serverCtx, () => undefined, {
      handshakeTimeoutMs: 300,
    });
    // A client that never sends its ClientHello.
    const silent = firstValueFrom(server.connections$);
    const raw = net.connect(port, '127.0.0.1');
    raw.on('error', () => undefined);
    const timedOut = await silent;
    await recorder.until(() => recorder.of(timedOut).closes.length === 1, 'timeout close');
    assert.is(recorder.of(timedOut).closes[0]?.reason, 'timeout');
    assert.is(recorder.of(timedOut).closes[0]?.errorClass, 'TLSTimeoutError');
    assert.instance(recorder.of(timedOut).ends[0]?.error, TLSTimeoutError);
    assert.is(recorder.of(timedOut).ends[0]?.ok, false);
    raw.destroy();
    // A client whose TCP ends without close_notify: the server takes the EOF as the end.
    const accepted = firstValueFrom(server.connections$);
    const client = await connect({ host: 'localhost', port, context: clientCtx, reactor });
    const serverSide = await accepted;
    await serverSide.handshake();
    client.transport.end();
    await recorder.until(() => recorder.of(serverSide).closes.length === 1, 'ragged close');
    assert.is(recorder.of(serverSide).closes[0]?.reason, 'ragged-eof');
    assert.is(recorder.of(serverSide).closes[0]?.error, undefined);
    // The client, aborted, says so.
    client.abort();
    await recorder.until(() => recorder.of(client).closes.length === 1, 'abort close');
    assert.is(recorder.of(client).closes[0]?.reason, 'aborted');
    await server.close();
  } finally {
    recorder.stop();
  }
});

test('nothing is published without a subscriber, nor about a stream begun before one came', async () => {
  const { serverCtx, clientCtx } = contextPair(pki);
  const heard: unknown[] = [];
  const listener = (message: unknown) => heard.push(message);
  const names = [
    CHANNEL_HANDSHAKE_START,
    CHANNEL_HANDSHAKE_END,
    CHANNEL_VERIFY_FAILURE,
    CHANNEL_STREAM_CLOSE,
  ];
  for (const name of names) diagnosticsChannel.subscribe(name, listener);
  for (const name of names) diagnosticsChannel.unsubscribe(name, listener);
  const { server, port, reactor } = await serve(serverCtx, echo);
  const client = await connect({ host: 'localhost', port, context: clientCtx, reactor });
  client.write('x');
  await client.read();
  // Someone subscribes now: the streams begun unheard stay unheard to their close.
  const recorder = new Recorder();
  try {
    await client.close();
    const later = await connect({ host: 'localhost', port, context: clientCtx, reactor });
    await later.close();
    await recorder.until(() => recorder.of(later).closes.length === 1, 'the later close');
    assert.is(heard.length, 0);
    assert.is(recorder.of(client).closes.length, 0);
    assert.is(recorder.of(later).starts.length, 1);
    await server.close();
    assert.is(reactor.stats().handshakesOk, 4, 'the streams ran');
  } finally {
    recorder.stop();
  }
});

test.run();
