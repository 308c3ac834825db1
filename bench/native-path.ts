/**
 * Node's native side of the benchmark: `tls.createServer` and `tls.connect` over TCP on
 * 127.0.0.1, the client verifying the chain and the hostname as the rxtls client does.
 */
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { BenchPki, TlsPath } from './bench-types.js';

/** A server socket's handlers, set per connection by whoever waits for it. */
type Accept = (socket: tls.TLSSocket) => void;

/** Starts a loopback TLS server and returns the path that connects to it. */
export async function nativePath(pki: BenchPki): Promise<TlsPath> {
  const accepts: Accept[] = [];
  const server = tls.createServer({ key: pki.leaf.key, cert: pki.leaf.cert }, (socket) => {
    socket.on('error', () => undefined);
    const accept = accepts.shift();
    if (accept) accept(socket);
    else socket.destroy();
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  /** Both ends of one connection once both handshakes completed. */
  function connect(): Promise<[tls.TLSSocket, tls.TLSSocket]> {
    return new Promise((resolve, reject) => {
      let clientSide: tls.TLSSocket | undefined;
      let serverSide: tls.TLSSocket | undefined;
      const settle = (): void => {
        if (clientSide && serverSide) resolve([clientSide, serverSide]);
      };
      accepts.push((socket) => {
        serverSide = socket;
        settle();
      });
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: [pki.ca.cert],
      });
      socket.on('error', reject);
      socket.once('secureConnect', () => {
        clientSide = socket;
        settle();
      });
    });
  }

  function teardown(a: tls.TLSSocket, b: tls.TLSSocket): void {
    a.destroy();
    b.destroy();
  }

  return {
    name: 'node native',
    async handshake(): Promise<void> {
      const [c, s] = await connect();
      teardown(c, s);
    },
    async describe(): Promise<string> {
      const [c, s] = await connect();
      const description = `${c.getProtocol()} ${c.getCipher().name}`;
      teardown(c, s);
      return description;
    },
    async bulk(total: number, chunk: Buffer): Promise<void> {
      const [c, s] = await connect();
      const done = new Promise<void>((resolve) => {
        let received = 0;
        s.on('data', (data: Buffer) => {
          received += data.length;
          if (received >= total) resolve();
        });
      });
      let sent = 0;
      while (sent < total) {
        const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
        sent += piece.length;
        if (!c.write(piece)) await new Promise((resolve) => c.once('drain', resolve));
      }
      await done;
      teardown(c, s);
    },
    close(): Promise<void> {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
