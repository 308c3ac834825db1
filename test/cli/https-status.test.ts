/**
 * The status site (HttpsStatusSite, `rxtls serve --https` and the demo): the session it shows is
 * each connection's own, read once per connection and kept for its later requests, over
 * http/1.1 keep-alive with Node's https client (which resumes on a second connection).
 */
import 'reflect-metadata';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpsStatusSite } from '../../src/cli/https-status.js';
import { PROTOCOL_TLS_SERVER } from '../../src/constants/ssl-constants.js';
import { SSLContext } from '../../src/context/ssl-context.js';
import { createServer } from '../../src/endpoints/server.js';
import { Reactor } from '../../src/transport/stream/reactor.js';
import { makePki } from '../helpers/pki.js';

interface Answer {
  body: string;
  localPort: number;
}

function get(agent: https.Agent, port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        servername: 'localhost',
      },
      (response) => {
        // Read now: a kept-alive socket goes back to the agent's pool at the end.
        const localPort = (response.socket as TLSSocket).localPort ?? 0;
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ body, localPort }));
      },
    );
    request.on('error', reject);
  });
}

test('each connection shows its own session on every request: a resumed second connection says so, the first still does not', async () => {
  const pki = await makePki();
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  context.loadCertChain(pki.path('server'), pki.path('server-key'));
  context.setAlpnProtocols(['http/1.1']);
  const reactor = new Reactor();
  const site = new HttpsStatusSite(context, reactor);
  const server = createServer({ context, reactor }, (socket) => site.accept(socket));
  const { port } = await server.listen(0, '127.0.0.1');
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 2,
    ca: pki.ca.cert,
    ALPNProtocols: ['http/1.1'],
  });
  try {
    const first = await get(agent, port, '/stats.json');
    const firstReport = JSON.parse(first.body);
    assert.is(firstReport.session.resumed, false);
    assert.is(firstReport.session.alpn, 'http/1.1');
    assert.is(firstReport.session.serverName, 'localhost');
    assert.is(firstReport.session.remoteAddress, `127.0.0.1:${first.localPort}`);

    // Two at once: one on the kept-alive first connection, one on a new, resumed, connection.
    const [a, b] = await Promise.all([get(agent, port, '/'), get(agent, port, '/')]);
    const pages = [a, b].sort(
      (x, y) => Number(x.localPort !== first.localPort) - Number(y.localPort !== first.localPort),
    );
    const [again, second] = pages as [Answer, Answer];
    assert.is(again.localPort, first.localPort, 'the first connection was kept alive');
    assert.is.not(second.localPort, first.localPort);
    assert.match(again.body, '<tr><th>resumed</th><td>no</td></tr>');
    assert.match(again.body, `<tr><th>your address</th><td>127.0.0.1:${first.localPort}</td></tr>`);
    assert.match(second.body, '<tr><th>resumed</th><td>yes</td></tr>');
    assert.match(
      second.body,
      `<tr><th>your address</th><td>127.0.0.1:${second.localPort}</td></tr>`,
    );
    assert.match(second.body, /<td id="handshakesOk">2<\/td>/);

    const report = JSON.parse((await get(agent, port, '/stats.json')).body);
    assert.ok(report.stats.handshakesOk === 2, 'the two connections only');
  } finally {
    agent.destroy();
    await server.close({ timeoutMs: 5_000 });
    pki.remove();
  }
});

test.run();
