/**
 * The lending view of a stream's plaintext, for rxtls's own consumers that are done with each
 * chunk when their next() returns (an echo that writes it straight back: write() encrypts it or
 * queues a copy at once). Chunks it delivers may be views into read buffers rxtls reuses, as with
 * the borrowedReads option, but here the lending is decided where the consumer is known, so bulk
 * transfer is fast by default while data$ keeps giving chunks of their own to every other reader
 * (docs/architecture.md, "Lent reads"). Not exported from the package: a reader outside rxtls
 * opts in with borrowedReads.
 */
import type { Observable } from 'rxjs';

/**
 * The key of a stream's method that makes its lent data$ (stream-surface.ts). A method on the
 * prototype, not an observable made and registered per stream: nothing is held for a stream
 * nobody lends from (docs/architecture.md, "Memory per idle connection").
 */
export const LENT_DATA: unique symbol = Symbol('rxtls.lentData');

/** A stream that can lend its plaintext. */
export interface LendingStream {
  [LENT_DATA](): Observable<Uint8Array>;
}

/**
 * The stream's plaintext, lent: the same one-subscriber-at-a-time data$ (the same chunks, the same
 * end and errors), each chunk valid only until next() returns. For consumers inside rxtls that
 * never keep a chunk.
 */
export function lentData$(stream: {
  readonly data$: Observable<Uint8Array>;
}): Observable<Uint8Array> {
  return (stream as Partial<LendingStream>)[LENT_DATA]?.() ?? stream.data$;
}
