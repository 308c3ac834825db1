/**
 * Every size and time the transport layer relies on, named once with the reason for its value.
 */

/** TLS plaintext record size limit (RFC 8446 section 5.1): 2^14 bytes. */
export const MAX_PLAINTEXT_RECORD = 16_384;

/**
 * The largest TLSCiphertext a peer may send: 2^14 + 2048 (RFC 5246 section 6.2.3). A record whose
 * header announces more is a protocol error (record overflow).
 */
export const MAX_CIPHERTEXT_RECORD = 16_384 + 2_048;

/** A TLS record header: content type (1), legacy version (2), length (2). */
export const RECORD_HEADER_LENGTH = 5;

/** Python's `SSLObject.read()` default length. */
export const DEFAULT_READ_SIZE = 1_024;

/**
 * The outgoing BIO's high-water mark when an SSLObject is made by `wrapBio` without one: above it
 * `write()` throws SSLWantWriteError until the reactor flushes. Four full records keeps the
 * pipeline busy without holding more than ~64 KiB of ciphertext per connection.
 */
export const DEFAULT_OUTGOING_HIGH_WATER_MARK = 4 * MAX_CIPHERTEXT_RECORD;

/**
 * How much decrypted data an engine buffers ahead of `read()` before it stops decrypting: the
 * bound on plaintext held per connection when the application reads slowly.
 */
export const DEFAULT_PLAINTEXT_HIGH_WATER_MARK = 4 * MAX_PLAINTEXT_RECORD;

/** asyncio's ssl_handshake_timeout default: 60 seconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 60_000;

/** asyncio's ssl_shutdown_timeout default: 30 seconds to get the peer's close_notify. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * Plaintext a secure stream holds for its reader, and ciphertext it lets pile up in the incoming
 * BIO, before it stops reading the transport: the per-connection memory bound under slow readers.
 */
export const STREAM_HIGH_WATER_MARK = 64 * 1024;

/** How much plaintext one read() asks the engine for: four records. */
export const STREAM_READ_SIZE = 4 * MAX_PLAINTEXT_RECORD;

/**
 * How long a TCP transport closed after end() keeps sending what it still queues (the last
 * records and the close_notify) to a peer that reads slowly, before it gives up and closes.
 */
export const TCP_LINGER_MS = 10_000;
