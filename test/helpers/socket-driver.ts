/**
 * Moves ciphertext between a real `net.Socket` and an SSLObject's BIOs, for interop tests with
 * real peers. Not the reactor: just enough to run a handshake, exchange data and close. It waits
 * on socket events and `readiness$`, never on a timer, and gives every call a generous deadline.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { Subscription } from 'rxjs';
import { isWouldBlock, SSLEOFError } from '../../src/errors/errors.js';
import type { SSLObject } from '../../src/transport/sansio/ssl-object.js';

/** How long one driver call may take before it fails the test instead of hanging it. */
export const DRIVER_DEADLINE_MS = 20_000;

/** Plaintext handed to `write()` at a time, so a full outgoing BIO can be flushed in between. */
const WRITE_CHUNK = 16_384;

/** How a `close()` ended: with the peer's close_notify, or with a bare EOF from the peer. */
export type CloseOutcome = 'close_notify' | 'eof';

/** Thrown inside close() when the socket ended with no close_notify left to come. */
class PeerEnded extends Error {}

/** One SSLObject driven over one socket. */
export class SocketDriver {
  readonly socket: Socket;
  readonly sslobj: SSLObject;
  /** The first socket-level error (ECONNRESET...), kept for assertions. */
  socketError: Error | undefined;
  readonly #subscription: Subscription;
  readonly #closed: Promise<void>;
  #wakers: (() => void)[] = [];
  #received: Buffer = Buffer.alloc(0);

  constructor(socket: Socket, sslobj: SSLObject) {
    this.socket = socket;
    this.sslobj = sslobj;
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      if (!sslobj.incoming.eofWritten) sslobj.incoming.write(chunk);
      this.#wake();
    });
    socket.on('end', () => this.#peerGone());
    socket.on('close', () => this.#peerGone());
    socket.on('error', (error) => {
      this.socketError ??= error;
      this.#peerGone();
    });
    this.#subscription = sslobj.readiness$.subscribe((event) => {
      this.flush();
      // want-read is announced by every call that blocks: waking on it would spin.
      if (event.type !== 'want-read') this.#wake();
    });
  }

  /** Everything `readUntil` read so far and has not returned. */
  get buffered(): Buffer {
    return this.#received;
  }

  /** Sends whatever the SSLObject has put in its outgoing BIO. */
  flush(): void {
    const { outgoing } = this.sslobj;
    if (outgoing.pending === 0 || this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(outgoing.read());
  }

  /** Runs the handshake to completion (or to the error the SSLObject throws). */
  driveHandshake(): Promise<void> {
    return this.#until('handshake', () => {
      this.sslobj.doHandshake();
      return true;
    });
  }

  /** Encrypts and sends all of `data`. */
  async writeAll(data: Uint8Array): Promise<void> {
    let offset = 0;
    await this.#until('writeAll', () => {
      while (offset < data.length) {
        const end = Math.min(offset + WRITE_CHUNK, data.length);
        offset += this.sslobj.write(data.subarray(offset, end));
        this.flush();
      }
      return true;
    });
  }

  /**
   * Reads until `n` bytes arrived (returns exactly `n`, keeping the rest) or until `predicate`
   * accepts everything read so far (returns all of it). Rejects if the peer closes first.
   */
  async readUntil(condition: number | ((received: Buffer) => boolean)): Promise<Buffer> {
    const satisfied = (): boolean =>
      typeof condition === 'number'
        ? this.#received.length >= condition
        : condition(this.#received);
    await this.#until('readUntil', () => {
      while (!satisfied()) {
        const chunk = this.sslobj.read(WRITE_CHUNK);
        if (chunk.length === 0) {
          throw new Error(`peer closed after ${this.#received.length} bytes: ${this.#preview()}`);
        }
        this.#received = Buffer.concat([this.#received, chunk]);
      }
      return true;
    });
    const take = typeof condition === 'number' ? condition : this.#received.length;
    const out = this.#received.subarray(0, take);
    this.#received = this.#received.subarray(take);
    return out;
  }

  /** Reads until the peer ends the TLS stream (close_notify or EOF); returns what came. */
  async readToEnd(): Promise<Buffer> {
    await this.#until('readToEnd', () => {
      for (;;) {
        let chunk: Buffer;
        try {
          chunk = this.sslobj.read(WRITE_CHUNK);
        } catch (error) {
          if (isWouldBlock(error)) throw error;
          return true; // SSLZeroReturnError / SSLEOFError: the stream is over
        }
        if (chunk.length === 0) return true;
        this.#received = Buffer.concat([this.#received, chunk]);
      }
    });
    const out = this.#received;
    this.#received = Buffer.alloc(0);
    return out;
  }

  /**
   * Python's unwrap(): sends our close_notify and waits for the peer's, then ends the socket.
   * Many real peers just close the connection instead of answering; that is reported as 'eof'.
   */
  async close(): Promise<CloseOutcome> {
    let outcome: CloseOutcome = 'close_notify';
    try {
      await this.#until('close', () => {
        try {
          this.sslobj.unwrap();
        } catch (error) {
          if (isWouldBlock(error) && this.sslobj.incoming.eofWritten) {
            // The socket ended and every byte was fed: the peer's close_notify will not come.
            if (this.sslobj.incoming.pending === 0) throw new PeerEnded('eof');
          }
          throw error;
        }
        return true;
      });
    } catch (error) {
      if (!(error instanceof PeerEnded || error instanceof SSLEOFError)) throw error;
      outcome = 'eof';
    }
    this.flush();
    await this.end();
    return outcome;
  }

  /** Ends and destroys the socket and the SSLObject, then waits for the socket to close. */
  async end(): Promise<void> {
    this.#subscription.unsubscribe();
    if (!this.socket.destroyed) this.socket.end();
    this.socket.destroy();
    await this.#closed;
    this.sslobj.destroy();
  }

  #peerGone(): void {
    if (!this.sslobj.incoming.eofWritten) this.sslobj.incoming.writeEof();
    this.#wake();
  }

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }

  #preview(): string {
    return JSON.stringify(this.#received.subarray(0, 200).toString('latin1'));
  }

  /** Retries `step` after every event until it returns true; errors other than want-* reject. */
  async #until(what: string, step: () => boolean): Promise<void> {
    const deadline = Date.now() + DRIVER_DEADLINE_MS;
    for (;;) {
      try {
        if (step()) {
          this.flush();
          return;
        }
      } catch (error) {
        this.flush();
        if (!isWouldBlock(error)) throw error;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: nothing happened within ${DRIVER_DEADLINE_MS} ms`);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`${what}: no progress within ${DRIVER_DEADLINE_MS} ms`));
        }, left);
        this.#wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Connects to 127.0.0.1:`port` and drives `sslobj` over the connection. */
export function connectDriver(port: number, sslobj: SSLObject): Promise<SocketDriver> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(new SocketDriver(socket, sslobj));
    });
  });
}

/** A TCP server on 127.0.0.1 that drives a fresh SSLObject for each accepted connection. */
export class DriverListener {
  readonly #server = createServer({ allowHalfOpen: true });
  readonly #accepted: SocketDriver[] = [];
  readonly #all: SocketDriver[] = [];
  #waiting: ((driver: SocketDriver) => void)[] = [];

  /** `makeSslobj` is called once per connection (a server-side SSLObject). */
  constructor(makeSslobj: () => SSLObject) {
    this.#server.on('connection', (socket) => {
      const driver = new SocketDriver(socket, makeSslobj());
      this.#all.push(driver);
      const waiter = this.#waiting.shift();
      if (waiter) waiter(driver);
      else this.#accepted.push(driver);
    });
  }

  /** Starts listening on a port the system picks; returns it. */
  listen(): Promise<number> {
    return new Promise((resolve) => {
      this.#server.listen(0, '127.0.0.1', () => {
        const address = this.#server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  }

  /** The next accepted connection (rejects after the deadline). */
  next(): Promise<SocketDriver> {
    const ready = this.#accepted.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = this.#waiting.filter((w) => w !== waiter);
        reject(new Error(`no connection within ${DRIVER_DEADLINE_MS} ms`));
      }, DRIVER_DEADLINE_MS);
      const waiter = (driver: SocketDriver): void => {
        clearTimeout(timer);
        resolve(driver);
      };
      this.#waiting.push(waiter);
    });
  }

  /** Closes the server and every connection it accepted. */
  async close(): Promise<void> {
    await Promise.all(this.#all.map((driver) => driver.end()));
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
