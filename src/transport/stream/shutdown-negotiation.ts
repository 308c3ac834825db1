/**
 * The shutdown negotiation of a closing stream: when the engine may be asked for our close_notify
 * (its unwrap()), and when the close is complete, given what the reader is still owed.
 *
 * unwrap() sends our close_notify and then, as Python's, reads on for the peer's and discards (or
 * fails on: APPLICATION_DATA_AFTER_CLOSE_NOTIFY) application data on the way, so it never runs
 * while data is owed to the reader:
 * - while the reader is behind (paused, or its buffer full) the shutdown waits for it, bounded by
 *   the shutdown timeout;
 * - while someone reads, it runs once, to send ours, when nothing waits for the reader; after that
 *   the stream's reads reach the peer's end (close_notify or EOF), even after the transport ended;
 * - without a reader nobody is owed anything, and unwrap() may read on.
 */
import { isWouldBlock, SSLEOFError, SSLZeroReturnError } from '../../errors/errors.js';
import type { SSLObject } from '../sansio/ssl-object.js';
import type { CiphertextPath } from './ciphertext-path.js';
import type { PlaintextReader } from './plaintext-reader.js';
import type { StreamState } from './stream-state.js';

/** Whether the close may finish now, or must wait for more to happen. */
export type ShutdownVerdict = 'wait' | 'done';

export class ShutdownNegotiation {
  readonly #sslobj: SSLObject<unknown>;
  readonly #state: StreamState;
  readonly #reader: PlaintextReader;
  readonly #path: CiphertextPath;

  constructor(
    sslobj: SSLObject<unknown>,
    state: StreamState,
    reader: PlaintextReader,
    path: CiphertextPath,
  ) {
    this.#sslobj = sslobj;
    this.#state = state;
    this.#reader = reader;
    this.#path = path;
  }

  /** One step of a closing stream: runs unwrap() if it may. Throws the engine's failure. */
  step(): ShutdownVerdict {
    if (!this.#mayUnwrap()) return 'wait';
    const state = this.#state;
    state.to('ours', 'close-notify-sent');
    try {
      this.#sslobj.unwrap();
    } catch (error) {
      if (isWouldBlock(error)) {
        // After the peer's close_notify only our own is missing: an asynchronous engine (node)
        // is still encrypting what was written before it, and says so when done. Without the
        // peer's, on an ended transport, it never comes.
        return state.transport === 'ended' && state.peer !== 'close-notify' ? 'done' : 'wait';
      }
      if (!(error instanceof SSLZeroReturnError || error instanceof SSLEOFError)) throw error;
    }
    // Both close_notifys are exchanged; a reader that has not reached the end yet is still owed
    // what the engine decrypted before the peer's (an asynchronous engine, node, may hold it or
    // still be delivering it): it reads on, and the close finishes when it reaches the end.
    return this.#reader.active && !state.peerDone ? 'wait' : 'done';
  }

  /**
   * The transport ended while we wait for the peer's close_notify. A reader is still owed what
   * arrived before the end (and may be the peer's close_notify), whether it waits in the reader,
   * on the path, or in the engine (node decrypts on later turns): the close then finishes once it
   * has read on to the engine's end, or times out if it never reads. Otherwise the peer hung up
   * instead of answering ours: we are done either way.
   */
  transportEnded(): ShutdownVerdict {
    const reader = this.#reader;
    const owed = this.#path.unread > 0 || reader.holding;
    return owed || (reader.active && !this.#state.peerDone) ? 'wait' : 'done';
  }

  #mayUnwrap(): boolean {
    const reader = this.#reader;
    if (this.#state.peerDone) return true;
    if (reader.behind) return false;
    if (!reader.active) return true;
    return this.#state.ours === 'open' && this.#path.unread === 0 && !reader.holding;
  }
}
