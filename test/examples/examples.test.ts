/**
 * Every example runs end to end against real sockets on 127.0.0.1 (undici's test/examples.js
 * habit): through its exported main(), and the echo pair also as programs.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  HOSTS as STORED_HOSTS,
  main as certificateStore,
} from '../../examples/certificate-store.js';
import { main as diPolicy } from '../../examples/di-policy.js';
import { main as echoClient } from '../../examples/echo-client.js';
import { main as echoCluster } from '../../examples/echo-cluster.js';
import { main as echoServer } from '../../examples/echo-server.js';
import { main as fetchOverRxtls } from '../../examples/fetch-over-rxtls.js';
import { main as httpsServer } from '../../examples/https-server.js';
import { main as lineChat } from '../../examples/line-chat.js';
import { main as liveCertificates } from '../../examples/live-certificates.js';
import { main as mtls } from '../../examples/mtls.js';
import { main as sansIo } from '../../examples/sans-io.js';
import { main as sessionTickets } from '../../examples/session-tickets.js';
import { HOSTS, main as sniVirtualHosts } from '../../examples/sni-virtual-hosts.js';
import { main as starttls } from '../../examples/starttls.js';
import { main as tlsInTlsProxy } from '../../examples/tls-in-tls-proxy.js';
import { echoClient as wssClient, MAX_MESSAGE, main as wssEcho } from '../../examples/wss-echo.js';
import { WebSocket } from 'ws';
import { Purpose } from '../../src/constants/ssl-constants.js';
import { createDefaultContext } from '../../src/context/default-context.js';
import { connect } from '../../src/endpoints/connect.js';
import { X509Certificate } from 'node:crypto';
import { filter, firstValueFrom } from 'rxjs';
import { toNodeDuplex } from '../../src/protocol/node-duplex.js';
import { TLSVersion } from '../../src/constants/ssl-constants.js';
import { SSLError } from '../../src/errors/errors.js';
import { rejectionOf } from '../helpers/assert-error.js';

const run = promisify(execFile);

test('echo-server and echo-client: the client gets its message back', async () => {
  const server = await echoServer();
  try {
    const { reply, close } = await echoClient({
      port: server.port,
      caFile: server.caFile as string,
      message: 'hello, example',
    });
    await close();
    assert.is(reply, 'hello, example');
  } finally {
    await server.close();
  }
});

test('session-tickets: a session from one server resumes on the other, through one key store', async () => {
  assert.equal(await sessionTickets(), { firstReused: false, secondReused: true });
});

test('echo-cluster: two worker processes answer on one port, and the server counts the handshakes', async () => {
  const cluster = await echoCluster({ workers: 2 });
  try {
    assert.is(cluster.server.pids.length, 2);
    for (const message of ['one', 'two', 'three']) {
      const { reply, close } = await echoClient({
        port: cluster.port,
        caFile: cluster.caFile,
        message,
      });
      await close();
      assert.is(reply, message);
    }
    assert.is((await cluster.server.stats()).handshakesOk, 3);
  } finally {
    await cluster.close();
  }
  assert.equal(cluster.server.pids, []);
});

test('echo-server and echo-client run as programs', async () => {
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, ['dist/examples/echo-server.js'], {
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const printed = await new Promise<string>((resolve, reject) => {
      let out = '';
      child?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/CA: .*\n/.test(out)) resolve(out);
      });
      child?.once('exit', (code) => reject(new Error(`echo-server exited with ${code}: ${out}`)));
    });
    const port = /127\.0\.0\.1:(\d+)/.exec(printed)?.[1] as string;
    const caFile = /CA: (.*)\n/.exec(printed)?.[1] as string;
    const { stdout } = await run(
      process.execPath,
      ['dist/examples/echo-client.js', 'from a program'],
      {
        env: { ...process.env, PORT: port, CAFILE: caFile },
      },
    );
    assert.is(stdout, 'from a program\n');
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }
});

test('https-server answers curl --cacert and Node https with the TLS session', async () => {
  const server = await httpsServer();
  try {
    const { stdout } = await run('curl', [
      '--silent',
      '--show-error',
      '--cacert',
      server.caFile,
      `https://localhost:${server.port}/hello`,
    ]);
    assert.match(
      stdout,
      /^hello from rxtls: GET \/hello over HTTP\/2\.0, TLSv1\.3 with TLS_\w+, ALPN h2\n$/,
    );
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(
          {
            host: 'localhost',
            port: server.port,
            path: '/node',
            ca: readCa(server.caFile),
            agent: false,
          },
          (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString()));
            response.on('end', () => resolve(text));
          },
        )
        .on('error', reject);
    });
    assert.match(body, /GET \/node over HTTP\/1\.1, TLSv1\.3 with TLS_\w+, ALPN none/);
  } finally {
    await server.close();
  }
});

function readCa(file: string): string {
  return readFileSync(file, 'utf8');
}

test('mtls: a client with a certificate is greeted by name; one without is refused clearly', async () => {
  const example = await mtls();
  try {
    assert.is(await example.client(true), 'hello, alice\n');
    const error = await rejectionOf(example.client(false));
    assert.ok(error instanceof SSLError, String(error));
    assert.match((error as Error).message, /requires a client certificate/);
    assert.match(String((error as SSLError).reason), /CERTIFICATE_REQUIRED/);
  } finally {
    await example.close();
  }
});

test('sni-virtual-hosts: each name gets its own certificate and site on one port', async () => {
  const example = await sniVirtualHosts();
  try {
    for (const host of HOSTS) {
      const visit = await example.visit(host);
      assert.is(visit.greeting, `welcome to ${host}\n`);
      assert.equal(visit.certificateNames, [host]);
    }
  } finally {
    await example.close();
  }
});

test('certificate-store: each name gets the certificate its lookup found, once per name; an unknown name is refused', async () => {
  const example = await certificateStore();
  try {
    for (const host of [...STORED_HOSTS, ...STORED_HOSTS]) {
      const visit = await example.visit(host);
      assert.is(visit.greeting, `served with the certificate of ${host}\n`);
      assert.equal(visit.certificateNames, [host]);
    }
    assert.is(example.lookups(), STORED_HOSTS.length, 'contexts are kept per name');
    const refused = await rejectionOf(example.visit('unknown.example.test'));
    assert.instance(refused, SSLError);
    assert.is((refused as SSLError).reason, 'TLSV1_UNRECOGNIZED_NAME');
  } finally {
    await example.close();
  }
});

test('starttls: plaintext greeting and EHLO, then the commands over TLS', async () => {
  const example = await starttls();
  try {
    const { version, replies } = await example.client(['MAIL FROM:<a@example.test>', 'QUIT']);
    assert.is(version, 'TLSv1.3');
    assert.equal(replies, ['250 ok (encrypted): MAIL FROM:<a@example.test>', '221 bye']);
  } finally {
    await example.close();
  }
});

test('tls-in-tls-proxy: a TLS session to the target runs inside the TLS session to the proxy', async () => {
  const example = await tlsInTlsProxy();
  try {
    const result = await example.client('hello through two layers of TLS');
    assert.equal(result, {
      proxyReply: '200 Connection established',
      outerVersion: 'TLSv1.3',
      innerVersion: 'TLSv1.3',
      echoed: 'hello through two layers of TLS',
    });
  } finally {
    await example.close();
  }
});

test('line-chat: three clients, each message broadcast to the others', async () => {
  const example = await lineChat();
  try {
    const people = [await example.join(), await example.join(), await example.join()];
    const names = await Promise.all(people.map((p) => p.next(/^welcome/)));
    assert.equal(names, [
      'welcome, you are user1',
      'welcome, you are user2',
      'welcome, you are user3',
    ]);
    const [alice, bob, carol] = people as [
      (typeof people)[0],
      (typeof people)[0],
      (typeof people)[0],
    ];
    alice.say('hi all');
    assert.is(await bob.next(/hi all/), 'user1: hi all');
    assert.is(await carol.next(/hi all/), 'user1: hi all');
    carol.say('hi alice');
    assert.is(await alice.next(/hi alice/), 'user3: hi alice');
    const heard = await Promise.all(people.map((p) => p.leave()));
    assert.not.ok(heard[0]?.includes('user1: hi all'), 'nobody hears themselves');
  } finally {
    await example.close();
  }
});

test('sans-io: two SSLObjects over MemoryBIOs handshake and talk', async () => {
  const result = await sansIo();
  await result.close();
  assert.is(result.version, 'TLSv1.3');
  assert.is(result.toServer, 'hello, server');
  assert.is(result.toClient, 'hello, client');
});

test('di-policy: one registration turns the same server from Intermediate to Modern', async () => {
  const intermediate = await diPolicy();
  try {
    assert.is(await intermediate.client(), 'TLSv1.2');
  } finally {
    await intermediate.close();
  }
  const modern = await diPolicy({ modern: true });
  try {
    const refused = await rejectionOf(modern.client());
    assert.ok(refused instanceof SSLError);
    assert.match((refused as Error).message, /PROTOCOL_VERSION/);
    assert.is(await modern.client(TLSVersion.TLSv1_3), 'TLSv1.3');
  } finally {
    await modern.close();
  }
});

test('fetch-over-rxtls: undici fetch runs over an rxtls stream and verifies the server', async () => {
  const { status, body } = await fetchOverRxtls();
  assert.is(status, 200);
  assert.match(body, /hello from rxtls: GET \/from-fetch over HTTP\/2\.0, TLSv1\.3 .*ALPN h2/);
});

test('wss-echo: ws over rxtls both ways echoes text and binary, closes 1000 with close_notify, refuses an oversized frame with 1009', async () => {
  const server = await wssEcho();
  try {
    const { replies, code, tls } = await wssClient(server.port, server.caFile, [
      'hello',
      Buffer.alloc(200_000, 'b'),
    ]);
    assert.equal(replies, ['hello', 'b'.repeat(200_000)]);
    assert.is(code, 1000);
    await new Promise<void>((resolve) => tls.closed$.subscribe({ complete: resolve }));
    assert.is(tls.error, undefined, 'the TLS stream ended cleanly (close_notify both ways)');

    // A message over the server's limit: ws closes with 1009 (message too big).
    const context = createDefaultContext(Purpose.SERVER_AUTH, { cafile: server.caFile });
    const stream = await connect({ host: 'localhost', port: server.port, context });
    const websocket = new WebSocket(`wss://localhost:${server.port}/`, {
      createConnection: () => toNodeDuplex(stream) as never,
    });
    await new Promise((resolve) => websocket.once('open', resolve));
    const closed = new Promise<number>((resolve) => websocket.once('close', (c) => resolve(c)));
    websocket.send(Buffer.alloc(MAX_MESSAGE + 1));
    assert.is(await closed, 1009);
  } finally {
    await server.close();
  }
});

test('live-certificates: RSA and ECDSA side by side, each client gets its own; a renewed file is taken for new connections', async () => {
  const live = await liveCertificates();
  const fingerprint = (path: string) => new X509Certificate(readFileSync(path)).fingerprint256;
  const shown = async (rsaOnly: boolean) => {
    const context = createDefaultContext(Purpose.SERVER_AUTH, { cafile: live.caFile });
    if (rsaOnly) {
      context.maximumVersion = TLSVersion.TLSv1_2;
      context.setCiphers('ECDHE-RSA-AES128-GCM-SHA256');
    }
    const socket = await connect({ host: 'localhost', port: live.port, context });
    const der = socket.getpeercert(true) as Buffer;
    await socket.close();
    return new X509Certificate(der).fingerprint256;
  };
  try {
    const [rsa, ecdsa] = live.files.certs.map((pair) => fingerprint(pair.certfile));
    assert.is(await shown(true), rsa);
    assert.is(await shown(false), ecdsa);
    const reloaded = firstValueFrom(live.reloads$.pipe(filter((e) => e.kind === 'reloaded')));
    live.renew();
    await reloaded;
    const renewed = fingerprint(live.files.certs[1]?.certfile as string);
    assert.is.not(renewed, ecdsa);
    assert.is(await shown(false), renewed);
    assert.is(await shown(true), rsa);
  } finally {
    await live.close();
  }
});

test.run();
