import {
  firstValueFrom,
  lastValueFrom,
  map,
  Observable,
  of,
  Subject,
  throwError,
  toArray,
} from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SSLContext } from '../../src/context/ssl-context.js';
import { EchoProtocol, echo } from '../../src/protocol/echo-protocol.js';
import type { Protocol, ProtocolFunction } from '../../src/protocol/protocol.js';
import { isProtocolClass } from '../../src/protocol/protocol.js';
import { runProtocol } from '../../src/endpoints/run-protocol.js';
import { PROTOCOL_TLS_SERVER } from '../../src/constants/ssl-constants.js';
import { SSLEOFError } from '../../src/errors/errors.js';
import { memoryPipe } from '../../src/transport/memory-pipe.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { useContextPair } from '../helpers/pki.js';
import { sha256 } from '../helpers/streams.js';

const fixture = useContextPair(test);

function pair(options: { suppressRaggedEofs?: boolean; context?: SSLContext } = {}) {
  const reactor = new Reactor();
  const [a, b] = memoryPipe();
  const client = fixture.clientCtx.wrapSocket(a, { serverHostname: 'localhost', reactor });
  const server = (options.context ?? fixture.serverCtx).wrapSocket(b, {
    serverSide: true,
    reactor,
    ...(options.suppressRaggedEofs === undefined
      ? {}
      : { suppressRaggedEofs: options.suppressRaggedEofs }),
  });
  return { client, server, reactor, clientTransport: a };
}

async function collect(socket: SSLSocket): Promise<string> {
  return Buffer.concat(await lastValueFrom(socket.data$.pipe(toArray()))).toString();
}

/** Records every callback, in order, with what it was given. */
class Recorder implements Protocol {
  static instances: Recorder[] = [];
  readonly calls: string[] = [];
  socket: SSLSocket | undefined;
  keepOpen = false;
  throwOn: string | undefined;
  lost: Error | undefined;
  constructor() {
    Recorder.instances.push(this);
  }
  #maybeThrow(name: string): void {
    if (this.throwOn === name) throw new Error(`${name} failed`);
  }
  connectionMade(socket: SSLSocket): void {
    this.socket = socket;
    this.calls.push('made');
    this.#maybeThrow('made');
  }
  dataReceived(data: Uint8Array): void {
    this.calls.push(`data:${Buffer.from(data).toString()}`);
    this.#maybeThrow('data');
  }
  eofReceived(): boolean {
    this.calls.push('eof');
    this.#maybeThrow('eof');
    return this.keepOpen;
  }
  connectionLost(error?: Error): void {
    this.calls.push(error ? `lost:${error.name}` : 'lost');
    this.lost = error;
  }
}

function lastRecorder(): Recorder {
  const r = Recorder.instances.at(-1);
  assert.ok(r);
  return r;
}

test('a Protocol class sees made, data, eof, lost in order, each once, after the handshake', async () => {
  const { client, server } = pair();
  const run = runProtocol(server, Recorder);
  assert.ok(run.protocol instanceof Recorder);
  const recorder = run.protocol as Recorder;
  assert.equal(recorder.calls, [], 'nothing before the handshake');
  await client.handshake();
  client.write('hello');
  await client.close();
  await run.done;
  assert.is(recorder.calls[0], 'made');
  assert.is(
    recorder.calls
      .filter((c) => c.startsWith('data:'))
      .map((c) => c.slice(5))
      .join(''),
    'hello',
  );
  assert.equal(recorder.calls.slice(-2), ['eof', 'lost']);
  assert.is(recorder.lost, undefined);
});

test('eofReceived returning true keeps our direction open until the protocol closes it', async () => {
  const { client, server } = pair();
  const run = runProtocol(server, Recorder);
  const recorder = run.protocol as Recorder;
  recorder.keepOpen = true;
  await client.handshake();
  const answer = collect(client);
  void client.close();
  await new Promise<void>((resolve) => {
    const check = () => (recorder.calls.includes('eof') ? resolve() : setImmediate(check));
    check();
  });
  // A later turn: the peer's end has long been seen, and we still answer.
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(server.state, 'open');
  recorder.socket?.write('after eof');
  await recorder.socket?.close();
  assert.is(await answer, 'after eof');
  await run.done;
  assert.equal(recorder.calls, ['made', 'eof', 'lost']);
});

test('an error ends the protocol with connectionLost(error) and no eofReceived', async () => {
  const { client, server, clientTransport } = pair({ suppressRaggedEofs: false });
  const run = runProtocol(server, Recorder);
  const recorder = run.protocol as Recorder;
  await client.handshake();
  client.write('x');
  await new Promise<void>((resolve) => {
    const check = () => (recorder.calls.length >= 2 ? resolve() : setImmediate(check));
    check();
  });
  clientTransport.destroy(); // a ragged EOF, not suppressed: SSLEOFError
  await run.done;
  assert.equal(recorder.calls, ['made', 'data:x', 'lost:SSLEOFError']);
  assert.ok(recorder.lost instanceof SSLEOFError);
});

test('a callback that throws ends the connection with what it threw, connectionLost once', async () => {
  for (const where of ['made', 'data', 'eof']) {
    const { client, server } = pair();
    Recorder.instances = [];
    const run = runProtocol(server, Recorder);
    const recorder = lastRecorder();
    recorder.throwOn = where;
    await client.handshake();
    client.write('x');
    if (where === 'eof') void client.close();
    await run.done;
    const lost = recorder.calls.filter((c) => c.startsWith('lost'));
    assert.equal(lost, ['lost:Error'], where);
    assert.is(recorder.lost?.message, `${where} failed`);
    assert.is(recorder.calls.at(-1), 'lost:Error');
    client.abort();
  }
});

test('a connection whose handshake fails never reaches the protocol', async () => {
  const bare = new SSLContext(PROTOCOL_TLS_SERVER); // no certificate: the handshake fails
  const { client, server } = pair({ context: bare });
  const run = runProtocol(server, Recorder);
  await client.handshake().catch(() => undefined);
  await run.done;
  assert.equal((run.protocol as Recorder).calls, []);
  client.abort();
});

test('a Protocol class that cannot be constructed ends the connection', async () => {
  class Broken implements Protocol {
    constructor() {
      throw new Error('no constructing me');
    }
    connectionMade(): void {}
    dataReceived(): void {}
  }
  const { client, server } = pair();
  const run = runProtocol(server, Broken);
  assert.is(run.protocol, undefined);
  await run.done;
  assert.is(server.error?.message, 'no constructing me');
  client.abort();
});

test('isProtocolClass tells classes from functions', () => {
  assert.ok(isProtocolClass(EchoProtocol));
  assert.not.ok(isProtocolClass(echo));
  assert.not.ok(isProtocolClass((input$) => input$));
});

test('EchoProtocol and the echo function send back what they receive', async () => {
  for (const spec of [EchoProtocol, echo]) {
    const { client, server } = pair();
    const run = runProtocol(server, spec);
    await client.handshake();
    const back = collect(client);
    client.write('ping ');
    client.write('pong');
    await client.close();
    assert.is(await back, 'ping pong');
    await run.done;
  }
});

test('the function form: output completion closes the stream gracefully', async () => {
  const { client, server } = pair();
  const greet: ProtocolFunction = () => of('hello ', Buffer.from('and goodbye'));
  const run = runProtocol(server, greet);
  await client.handshake();
  assert.is(await collect(client), 'hello and goodbye');
  await run.done;
  assert.is(server.error, undefined);
});

test('the function form: output that comes after the input ended still reaches the peer', async () => {
  const { client, server } = pair();
  const late = new Subject<string>();
  const run = runProtocol(server, (input$) => {
    const answerLater = () => {
      late.next('late');
      late.complete();
    };
    input$.subscribe({ complete: () => setImmediate(answerLater) });
    return late;
  });
  await client.handshake();
  const back = collect(client);
  void client.close();
  assert.is(await back, 'late');
  await run.done;
});

test('the function form: an output error ends the connection with that error', async () => {
  const { client, server } = pair();
  const boom = new Error('protocol failed');
  const run = runProtocol(server, (input$) =>
    input$.pipe(
      map(() => {
        throw boom;
      }),
    ),
  );
  await client.handshake();
  client.write('anything');
  await run.done;
  assert.is(server.error, boom);
  client.abort();
});

test('the function form: a function that throws, or returns nothing, is handled', async () => {
  const a = pair();
  const run = runProtocol(a.server, () => {
    throw new Error('thrown at once');
  });
  await a.client.handshake();
  await run.done;
  assert.is(a.server.error?.message, 'thrown at once');
  a.client.abort();

  const b = pair();
  const run2 = runProtocol(b.server, (input$, socket) => {
    input$.subscribe((d) => socket.write(Buffer.from(Buffer.from(d).toString().toUpperCase())));
  });
  await b.client.handshake();
  const back = collect(b.client);
  b.client.write('quiet');
  void b.client.close();
  assert.is(await back, 'QUIET');
  await run2.done;

  const c = pair();
  const run3 = runProtocol(c.server, () => throwError(() => new Error('at once')));
  await c.client.handshake();
  await run3.done;
  assert.is(c.server.error?.message, 'at once');
  c.client.abort();
});

test('the function form: writing after the protocol closed the socket ends it with the error', async () => {
  const { client, server } = pair();
  const run = runProtocol(
    server,
    (_input$, socket) =>
      new Observable<string>((subscriber) => {
        void socket.close();
        subscriber.next('too late');
      }),
  );
  await client.handshake();
  await run.done;
  assert.match(String(server.error?.message), /after close/);
  client.abort();
});

test('the function form over a failed handshake never runs the function', async () => {
  const bare = new SSLContext(PROTOCOL_TLS_SERVER);
  const { client, server } = pair({ context: bare });
  let ran = false;
  const run = runProtocol(server, (input$) => {
    ran = true;
    return input$;
  });
  await client.handshake().catch(() => undefined);
  await run.done;
  assert.not.ok(ran);
  client.abort();
});

test('echoed data is byte-exact through the function form', async () => {
  const { client, server } = pair();
  const run = runProtocol(server, (input$) => input$);
  await client.handshake();
  const payload = Buffer.alloc(300_000, 7);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const back = lastValueFrom(client.data$.pipe(toArray()));
  let offset = 0;
  while (offset < payload.length) {
    const ok = client.write(payload.subarray(offset, offset + 16_384));
    offset += 16_384;
    if (!ok) await firstValueFrom(client.writable$);
  }
  void client.close();
  const got = Buffer.concat(await back);
  assert.is(sha256(got), sha256(payload));
  await run.done;
});

test.run();
