import 'reflect-metadata';
import { lastValueFrom, toArray } from 'rxjs';
import { inject, injectable } from 'tsyringe';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createContainer, registerDefaults } from '../../src/di/container.js';
import { createDefaultContext } from '../../src/context/default-context.js';
import type { SSLContext } from '../../src/context/ssl-context.js';
import { REACTOR, SERVER_CONTEXT } from '../../src/di/tokens.js';
import { connect } from '../../src/endpoints/connect.js';
import { EchoProtocol } from '../../src/protocol/echo-protocol.js';
import type { Protocol } from '../../src/protocol/protocol.js';
import { runProtocol } from '../../src/endpoints/run-protocol.js';
import { createServer } from '../../src/endpoints/server.js';
import { Purpose } from '../../src/constants/ssl-constants.js';
import { ValueError } from '../../src/errors/errors.js';
import { memoryPipe } from '../../src/transport/memory-pipe.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import type { SSLSocket } from '../../src/transport/stream/ssl-socket.js';
import { throwsA } from '../helpers/assert-error.js';
import { usePki } from '../helpers/pki.js';

const pki = usePki(test);
let clientCtx: SSLContext;
test.before(() => {
  clientCtx = createDefaultContext(Purpose.SERVER_AUTH, { cafile: pki.path('ca') });
});

/** An application service, registered by the application under its own token. */
const GREETER = Symbol('Greeter');
interface Greeter {
  greet(name: string): string;
}

@injectable()
class GreetingProtocol implements Protocol {
  static last: GreetingProtocol | undefined;
  #socket: SSLSocket | undefined;
  constructor(
    @inject(SERVER_CONTEXT) readonly context: SSLContext,
    @inject(REACTOR) readonly reactor: Reactor,
    @inject(GREETER) readonly greeter: Greeter,
  ) {
    GreetingProtocol.last = this;
  }
  connectionMade(socket: SSLSocket): void {
    this.#socket = socket;
  }
  dataReceived(data: Uint8Array): void {
    this.#socket?.write(`${this.greeter.greet(Buffer.from(data).toString())}\n`);
  }
}

function containerWithCertificate() {
  const container = registerDefaults(createContainer(), {
    certificate: { certfile: pki.path('server'), keyfile: pki.path('server-key') },
  });
  container.register(GREETER, { useValue: { greet: (name: string) => `hello, ${name}` } });
  return container;
}

test('createServer resolves a Protocol class per connection with the context, the reactor and a user service', async () => {
  const container = containerWithCertificate();
  const reactor = new Reactor();
  const server = createServer({ container, reactor, protocol: GreetingProtocol });
  const { port } = await server.listen(0);
  try {
    assert.is(
      server.context,
      container.resolve(SERVER_CONTEXT),
      'the context came from the container',
    );
    const socket = await connect({ host: 'localhost', port, context: clientCtx, reactor });
    const answer = lastValueFrom(socket.data$.pipe(toArray()));
    socket.write('rxtls');
    void socket.close();
    assert.is(Buffer.concat(await answer).toString(), 'hello, rxtls\n');
    const protocol = GreetingProtocol.last as GreetingProtocol;
    assert.is(protocol.context, server.context, "the server's context is the one injected");
    assert.is(protocol.reactor, reactor, "the server's reactor is the one injected");
  } finally {
    await server.close({ timeoutMs: 1000 });
  }
});

test('without a reactor option the server takes REACTOR from the container, and runs a function protocol', async () => {
  const container = containerWithCertificate();
  const reactor = new Reactor();
  container.register(REACTOR, { useValue: reactor });
  const server = createServer({ container, protocol: (input$) => input$ });
  const { port } = await server.listen(0);
  try {
    const socket = await connect({ host: 'localhost', port, context: clientCtx, reactor });
    assert.is(reactor.stats().connections, 2, 'both ends on the registered reactor');
    const answer = lastValueFrom(socket.data$.pipe(toArray()));
    socket.write('same reactor');
    void socket.close();
    assert.is(Buffer.concat(await answer).toString(), 'same reactor');
  } finally {
    await server.close({ timeoutMs: 1000 });
  }
});

test('a context and a protocol class without a container: the class resolves from a default one', async () => {
  const context = containerWithCertificate().resolve(SERVER_CONTEXT);
  const reactor = new Reactor();
  const server = createServer({ context, reactor, protocol: EchoProtocol });
  const { port } = await server.listen(0);
  try {
    const socket = await connect({ host: 'localhost', port, context: clientCtx, reactor });
    const answer = lastValueFrom(socket.data$.pipe(toArray()));
    socket.write('echo');
    void socket.close();
    assert.is(Buffer.concat(await answer).toString(), 'echo');
  } finally {
    await server.close({ timeoutMs: 1000 });
  }
});

test('runProtocol without a container resolves the class from rxtls defaults; an unresolvable one ends the connection', async () => {
  const context = containerWithCertificate().resolve(SERVER_CONTEXT);
  const [a, b] = memoryPipe();
  const reactor = new Reactor();
  const client = clientCtx.wrapSocket(a, { serverHostname: 'localhost', reactor });
  const server = context.wrapSocket(b, { serverSide: true, reactor });
  // GREETER is not registered in the default container: tsyringe cannot build the protocol.
  const run = runProtocol(server, GreetingProtocol);
  assert.is(run.protocol, undefined);
  await run.done;
  assert.match(String(server.error?.message), /GreetingProtocol|Greeter|resolve/i);
  await client.handshake().catch(() => undefined);
  client.abort();
});

test('createServer refuses missing options', () => {
  throwsA(() => createServer(undefined as never), ValueError);
});

test.run();
