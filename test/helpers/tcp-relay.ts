/**
 * A TCP relay on 127.0.0.1 between a client and a server that records what passes each way and
 * when each side ended, and can inject raw bytes towards either side: the observer that checks
 * what rxtls puts on the wire (alerts, close_notify, the TCP close after them).
 */
import net from 'node:net';
import { firstValueFrom, type Observable, ReplaySubject, Subject } from 'rxjs';
import type { Transport } from '../../src/transport/transport.js';

/** What one direction of a relayed connection carried. */
export class RelayDirection {
  /** Bytes in the order they passed. */
  chunks: Buffer[] = [];
  /** Set when this side's sender ended (FIN) or closed its socket. */
  ended = false;
  readonly #changed = new Subject<void>();
  readonly #done = new ReplaySubject<void>(1);

  /** Everything received so far. */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Resolves once the sender has ended. */
  get end(): Promise<void> {
    return firstValueFrom(this.#done);
  }

  /** Emits on every change. */
  get changed$(): Observable<void> {
    return this.#changed.asObservable();
  }

  record(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.#changed.next();
  }

  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.#changed.next();
    this.#done.next();
  }
}

/** One client connection relayed to the target. */
export interface RelayedConnection {
  client: net.Socket;
  server: net.Socket;
  /** Client to server. */
  up: RelayDirection;
  /** Server to client. */
  down: RelayDirection;
}

/** A relay listening on 127.0.0.1:0 towards `targetPort`. */
export class TcpRelay {
  readonly #server: net.Server;
  readonly #connections = new ReplaySubject<RelayedConnection>();
  readonly #sockets = new Set<net.Socket>();
  port = 0;

  constructor(targetPort: number) {
    this.#server = net.createServer((client) => {
      const server = net.connect(targetPort, '127.0.0.1');
      const up = new RelayDirection();
      const down = new RelayDirection();
      for (const socket of [client, server]) {
        this.#sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => this.#sockets.delete(socket));
      }
      relay(client, server, up);
      relay(server, client, down);
      this.#connections.next({ client, server, up, down });
    });
  }

  /** Starts listening; resolves with the port. */
  listen(): Promise<number> {
    return new Promise((resolve) => {
      this.#server.listen(0, '127.0.0.1', () => {
        this.port = (this.#server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  /** The n-th relayed connection (0-based), once it arrives. */
  connection(n = 0): Promise<RelayedConnection> {
    return new Promise((resolve) => {
      let seen = 0;
      const subscription = this.#connections.subscribe((connection) => {
        if (seen++ === n) {
          resolve(connection);
          queueMicrotask(() => subscription.unsubscribe());
        }
      });
    });
  }

  /** Stops listening and destroys every relayed socket. */
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function relay(from: net.Socket, to: net.Socket, direction: RelayDirection): void {
  from.on('data', (chunk: Buffer) => {
    direction.record(chunk);
    if (!to.destroyed) to.write(chunk);
  });
  const finish = (): void => {
    direction.finish();
    if (!to.destroyed) to.end();
  };
  from.on('end', finish);
  from.on('close', finish);
}

/** Pipes `from` into `to` with backpressure, ending `to` when `from` ends. */
export function pipeTransport(from: Transport, to: Transport): void {
  to.writable$.subscribe(() => from.resume());
  from.data$.subscribe({
    next: (bytes) => {
      if (!to.write(bytes)) from.pause();
    },
    complete: () => to.end(),
    error: () => to.destroy(),
  });
}
