import { lastValueFrom, toArray } from 'rxjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  acceptStartTls,
  negotiateStartTls,
  PlaintextConversation,
} from '../../src/protocol/starttls.js';
import { StartTlsError } from '../../src/errors/errors.js';
import { memoryPipe } from '../../src/transport/memory-pipe.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { useContextPair } from '../helpers/pki.js';
import { rejectionOf } from '../helpers/assert-error.js';

const fixture = useContextPair(test);

test('negotiateStartTls and acceptStartTls talk plaintext, then TLS on the same transport', async () => {
  const reactor = new Reactor();
  const [a, b] = memoryPipe();
  const seen: string[] = [];
  const serverSide = acceptStartTls(b, fixture.serverCtx, {
    reactor,
    answer: (line) => {
      seen.push(line);
      return /^EHLO /i.test(line) ? '250 STARTTLS' : '500 what?';
    },
  });
  const client = await negotiateStartTls(a, fixture.clientCtx, {
    serverHostname: 'localhost',
    before: ['EHLO client.test'],
    reactor,
  });
  const server = await serverSide;
  assert.equal(seen, ['EHLO client.test']);
  assert.ok(client.version()?.startsWith('TLS'));
  const got = lastValueFrom(server.data$.pipe(toArray()));
  client.write('MAIL FROM:<a@b>\r\n');
  await client.close();
  assert.is(Buffer.concat(await got).toString(), 'MAIL FROM:<a@b>\r\n');
});

test('a refused STARTTLS fails with StartTlsError carrying the reply', async () => {
  const [a, b] = memoryPipe();
  const server = new PlaintextConversation(b);
  server.writeLine('220 hi');
  const failure = rejectionOf(
    negotiateStartTls(a, fixture.clientCtx, { serverHostname: 'localhost' }),
  );
  assert.is(await server.readLine(), 'STARTTLS');
  server.writeLine('454 TLS not available');
  const error = await failure;
  assert.ok(error instanceof StartTlsError);
  assert.is((error as StartTlsError).reply, '454 TLS not available');
  assert.is((error as StartTlsError).code, 'ERR_RXTLS_STARTTLS');
});

test('plaintext pipelined after STARTTLS is refused on both sides (command injection)', async () => {
  const [a, b] = memoryPipe();
  const serverSide = rejectionOf(acceptStartTls(b, fixture.serverCtx, { greeting: null }));
  a.write(Buffer.from('STARTTLS\r\nRSET\r\n'));
  const error = await serverSide;
  assert.ok(error instanceof StartTlsError);
  assert.match((error as Error).message, /6 plaintext bytes after the STARTTLS exchange/);

  const [c, d] = memoryPipe();
  const clientSide = rejectionOf(
    negotiateStartTls(c, fixture.clientCtx, { serverHostname: 'localhost', expectGreeting: false }),
  );
  const server = new PlaintextConversation(d);
  assert.is(await server.readLine(), 'STARTTLS');
  d.write(Buffer.from('220 go ahead\r\n250 injected\r\n'));
  assert.ok((await clientSide) instanceof StartTlsError);
});

test('the plaintext phase fails cleanly on a closed peer or an overlong line', async () => {
  const [a, b] = memoryPipe();
  const closed = rejectionOf(acceptStartTls(b, fixture.serverCtx));
  a.end();
  const error = await closed;
  assert.ok(error instanceof StartTlsError);
  assert.match((error as Error).message, /closed the connection before STARTTLS/);

  const [c, d] = memoryPipe();
  const long = rejectionOf(acceptStartTls(d, fixture.serverCtx, { maxLineLength: 16 }));
  c.write(Buffer.from('x'.repeat(40)));
  assert.match(String((await long) as Error), /exceeds 16 bytes/);

  const [e, f] = memoryPipe();
  const longWithEnd = new PlaintextConversation(f, { maxLineLength: 8 });
  e.write(Buffer.from('123456789\nok\n'));
  assert.ok((await rejectionOf(longWithEnd.readLine())) instanceof StartTlsError);

  const [g, h] = memoryPipe();
  const broken = rejectionOf(new PlaintextConversation(h).readLine());
  g.destroy(new Error('reset'));
  h.destroy(new Error('reset'));
  assert.ok((await broken) instanceof StartTlsError);
});

test('PlaintextConversation serves lines already buffered without reading again', async () => {
  const [a, b] = memoryPipe();
  const talk = new PlaintextConversation(b);
  a.write(Buffer.from('one\r\ntwo\n'));
  assert.is(await talk.readLine(), 'one');
  assert.is(await talk.readLine(), 'two');
});

test.run();
