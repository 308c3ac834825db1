/**
 * Framing as rxjs operators: from a stream of arbitrary chunks (TLS records, TCP segments) to a
 * stream of whole frames, whatever the chunking. Each bounds what it buffers by its `maxLength`:
 * a longer frame ends the stream with FrameTooLongError, which ends the connection when it is a
 * protocol's output.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { FrameTooLongError, typeError, ValueError } from '../errors/errors.js';

const LF = 0x0a;
const CR = 0x0d;

/** The header sizes {@link lengthPrefixed} understands, and the largest length each can carry. */
const HEADER_LIMITS = { 1: 0xff, 2: 0xffff, 4: 0xffff_ffff } as const;

/** Header sizes of length-prefixed frames, in bytes. */
export type HeaderBytes = keyof typeof HEADER_LIMITS;

/** Options of {@link lines}. */
export interface LinesOptions {
  /** The longest line accepted, in bytes, without its `\n` or `\r\n`. */
  maxLength: number;
  /** Decode lines with this encoding (default utf8); null emits the bytes of each line. */
  encoding?: BufferEncoding | null;
}

/** Options of {@link lengthPrefixed}. */
export interface LengthPrefixedOptions {
  /** Size of the big-endian length header: 1, 2 or 4 bytes (default 4). */
  headerBytes?: HeaderBytes;
  /** The longest payload accepted, in bytes. */
  maxLength: number;
}

function checkMaxLength(maxLength: unknown): number {
  if (typeof maxLength !== 'number') throw typeError('maxLength', 'a number', maxLength);
  if (!Number.isSafeInteger(maxLength) || maxLength < 0) {
    throw new ValueError(`maxLength must be a non-negative integer, got ${maxLength}`);
  }
  return maxLength;
}

function checkHeaderBytes(headerBytes: unknown): HeaderBytes {
  if (headerBytes !== 1 && headerBytes !== 2 && headerBytes !== 4) {
    throw new ValueError(`headerBytes must be 1, 2 or 4, got ${String(headerBytes)}`);
  }
  return headerBytes;
}

/** Chunks waiting to become a frame, concatenated only once the frame is whole. */
class Pending {
  #parts: Buffer[] = [];
  length = 0;
  push(part: Buffer): void {
    if (part.length === 0) return;
    this.#parts.push(part);
    this.length += part.length;
  }
  take(): Buffer {
    const whole =
      this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts);
    this.#parts = [];
    this.length = 0;
    return whole;
  }
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
}

/**
 * Splits a byte stream into lines on `\n`, dropping the `\n` and a `\r` before it. A last line
 * without `\n` is emitted when the stream completes. A line longer than `maxLength` errors the
 * stream with FrameTooLongError as soon as that is certain (at most `maxLength + 1` bytes held).
 *
 * @example
 * ```ts
 * createServer({ context, protocol: (input$) => input$.pipe(lines({ maxLength: 1024 }), map((l) => `you said ${l}\n`)) });
 * ```
 */
export function lines(
  options: LinesOptions & { encoding?: BufferEncoding },
): OperatorFunction<Uint8Array, string>;
export function lines(
  options: LinesOptions & { encoding: null },
): OperatorFunction<Uint8Array, Buffer>;
export function lines(options: LinesOptions): OperatorFunction<Uint8Array, string | Buffer> {
  const maxLength = checkMaxLength(options?.maxLength);
  const encoding = options.encoding === undefined ? 'utf8' : options.encoding;
  const finish = (line: Buffer): string | Buffer => {
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    const content = line.subarray(0, end);
    return encoding === null ? content : content.toString(encoding);
  };
  return (source) =>
    new Observable<string | Buffer>((subscriber) => {
      const pending = new Pending();
      return source.subscribe({
        next: (chunk) => {
          const bytes = asBuffer(chunk);
          let start = 0;
          for (;;) {
            const lf = bytes.indexOf(LF, start);
            if (lf < 0) break;
            pending.push(bytes.subarray(start, lf));
            start = lf + 1;
            const line = pending.take();
            const length =
              line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
            if (length > maxLength) {
              subscriber.error(new FrameTooLongError(length, maxLength));
              return;
            }
            subscriber.next(finish(line));
            if (subscriber.closed) return;
          }
          pending.push(bytes.subarray(start));
          // Even if a `\r` ends it, the line is already too long: stop holding it.
          if (pending.length > maxLength + 1) {
            subscriber.error(new FrameTooLongError(pending.length, maxLength));
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (pending.length > 0) {
            const line = pending.take();
            if (line.length > maxLength) {
              subscriber.error(new FrameTooLongError(line.length, maxLength));
              return;
            }
            subscriber.next(finish(line));
          }
          subscriber.complete();
        },
      });
    });
}

/**
 * Splits a byte stream into frames each preceded by its length as a big-endian integer of
 * `headerBytes` bytes. A header announcing more than `maxLength` errors the stream with
 * FrameTooLongError before any of the payload is held; a stream that ends inside a frame errors
 * with ValueError.
 *
 * @example
 * ```ts
 * const protocol = (input$) => input$.pipe(lengthPrefixed({ headerBytes: 2, maxLength: 4096 }), map((f) => encodeLengthPrefixed(f, 2)));
 * ```
 */
export function lengthPrefixed(
  options: LengthPrefixedOptions,
): OperatorFunction<Uint8Array, Buffer> {
  const maxLength = checkMaxLength(options?.maxLength);
  const headerBytes = checkHeaderBytes(options.headerBytes ?? 4);
  return (source) =>
    new Observable<Buffer>((subscriber) => {
      const header = new Pending();
      const payload = new Pending();
      let expected = -1; // -1 while reading a header
      return source.subscribe({
        next: (chunk) => {
          let bytes = asBuffer(chunk);
          while (bytes.length > 0 || expected === 0) {
            if (expected < 0) {
              const need = headerBytes - header.length;
              header.push(bytes.subarray(0, need));
              bytes = bytes.subarray(need);
              if (header.length < headerBytes) return;
              expected = header.take().readUIntBE(0, headerBytes);
              if (expected > maxLength) {
                subscriber.error(new FrameTooLongError(expected, maxLength));
                return;
              }
            }
            const need = expected - payload.length;
            payload.push(bytes.subarray(0, need));
            bytes = bytes.subarray(need);
            if (payload.length < expected) return;
            expected = -1;
            subscriber.next(payload.take());
            if (subscriber.closed) return;
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (expected >= 0 || header.length > 0) {
            const what =
              expected >= 0
                ? `${payload.length} of ${expected} payload bytes`
                : `${header.length} of ${headerBytes} header bytes`;
            subscriber.error(new ValueError(`the stream ended inside a frame: ${what}`));
            return;
          }
          subscriber.complete();
        },
      });
    });
}

/**
 * One frame for {@link lengthPrefixed}: `payload` (a string is UTF-8) preceded by its length as a
 * big-endian integer of `headerBytes` bytes. ValueError if the header cannot hold the length.
 */
export function encodeLengthPrefixed(
  payload: Uint8Array | string,
  headerBytes: HeaderBytes = 4,
): Buffer {
  const size = checkHeaderBytes(headerBytes);
  const body = typeof payload === 'string' ? Buffer.from(payload) : asBuffer(payload);
  if (body.length > HEADER_LIMITS[size]) {
    throw new ValueError(
      `a payload of ${body.length} bytes does not fit a ${size}-byte length header`,
    );
  }
  const frame = Buffer.allocUnsafe(size + body.length);
  frame.writeUIntBE(body.length, 0, size);
  body.copy(frame, size);
  return frame;
}
