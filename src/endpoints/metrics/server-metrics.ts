/**
 * Prometheus metrics of a server's secure streams, kept by prom-client from the rxtls
 * diagnostics channels (docs/architecture.md, "Diagnostics and metrics"). Each ServerMetrics has
 * its own Registry (never prom-client's global one), so two servers in one process keep their
 * figures apart, and counts only the streams its `accept` takes at their handshake start (default:
 * every server-side stream).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import {
  Counter,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';

import { SSLError, TLSTimeoutError } from '../../errors/errors.js';
import type { SSLSocket } from '../../transport/stream/ssl-socket.js';
import {
  CHANNEL_HANDSHAKE_END,
  CHANNEL_HANDSHAKE_START,
  CHANNEL_STREAM_CLOSE,
  CHANNEL_VERIFY_FAILURE,
  type HandshakeEndMessage,
  type HandshakeStartMessage,
  type StreamCloseMessage,
  type VerifyFailureMessage,
} from '../../transport/stream/stream-diagnostics.js';

/** Handshake durations in seconds: a loopback handshake takes about a millisecond, a WAN one 100. */
const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** What answers a Prometheus scrape: ServerMetrics, and a cluster's primary for its workers. */
export interface MetricsSource {
  /** The Prometheus text exposition. */
  metrics(): Promise<string>;
  /** Its content type. */
  readonly contentType: string;
}

/** Options of {@link ServerMetrics}. */
export interface ServerMetricsOptions {
  /** Which streams to count, asked once at their handshake start; default: the server-side ones. */
  accept?: (socket: SSLSocket<unknown>) => boolean;
  /** The registry to register into; default: a new one of its own. */
  registry?: Registry;
}

/** Prometheus metrics of the streams it accepts, from the rxtls diagnostics channels. */
export class ServerMetrics implements MetricsSource {
  readonly registry: Registry;
  readonly #accept: (socket: SSLSocket<unknown>) => boolean;
  /** The streams counted: taken at their handshake start, let go at their close. */
  readonly #counted = new WeakSet<SSLSocket<unknown>>();
  readonly #handshakes: Counter<'result' | 'version' | 'resumed'>;
  readonly #duration: Histogram<'result'>;
  readonly #live: Gauge;
  readonly #bytesIn: Counter;
  readonly #bytesOut: Counter;
  readonly #closes: Counter<'reason'>;
  readonly #errors: Counter<'class' | 'reason'>;
  readonly #verifyFailures: Counter<'code'>;
  readonly #listeners: [string, (message: unknown) => void][];
  #closed = false;

  constructor(options: ServerMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.#accept = options.accept ?? ((socket) => socket.serverSide);
    const registers = [this.registry];
    this.#handshakes = new Counter({
      name: 'rxtls_handshakes_total',
      help: 'TLS handshakes ended, by result (ok, failed), protocol version and resumption',
      labelNames: ['result', 'version', 'resumed'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'rxtls_handshake_duration_seconds',
      help: 'How long handshakes took, from the connection to the handshake end',
      labelNames: ['result'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#live = new Gauge({
      name: 'rxtls_connections',
      help: 'Secure streams open now (handshaking or established)',
      registers,
    });
    this.#bytesIn = new Counter({
      name: 'rxtls_received_bytes_total',
      help: 'Ciphertext bytes received, counted when each connection closes',
      registers,
    });
    this.#bytesOut = new Counter({
      name: 'rxtls_sent_bytes_total',
      help: 'Ciphertext bytes sent, counted when each connection closes',
      registers,
    });
    this.#closes = new Counter({
      name: 'rxtls_connections_closed_total',
      help: 'Connections closed, by reason (close-notify, ragged-eof, timeout, error, aborted)',
      labelNames: ['reason'],
      registers,
    });
    this.#errors = new Counter({
      name: 'rxtls_errors_total',
      help: "Errors that ended connections, by class and reason (OpenSSL's, or a timeout's phase)",
      labelNames: ['class', 'reason'],
      registers,
    });
    this.#verifyFailures = new Counter({
      name: 'rxtls_verify_failures_total',
      help: "Peer certificates that failed verification, by OpenSSL's verify code",
      labelNames: ['code'],
      registers,
    });
    this.#listeners = [
      [CHANNEL_HANDSHAKE_START, (m) => this.#onStart(m as HandshakeStartMessage)],
      [CHANNEL_HANDSHAKE_END, (m) => this.#onHandshakeEnd(m as HandshakeEndMessage)],
      [CHANNEL_VERIFY_FAILURE, (m) => this.#onVerifyFailure(m as VerifyFailureMessage)],
      [CHANNEL_STREAM_CLOSE, (m) => this.#onClose(m as StreamCloseMessage)],
    ];
    for (const [name, listener] of this.#listeners) diagnosticsChannel.subscribe(name, listener);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of the registry. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The figures as prom-client's JSON, which a cluster's primary aggregates over its workers. */
  metricsAsJSON(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    return this.registry.getMetricsAsJSON();
  }

  /** Stops counting (the channels lose this subscriber; the figures stay readable). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [name, listener] of this.#listeners) diagnosticsChannel.unsubscribe(name, listener);
  }

  #onStart(message: HandshakeStartMessage): void {
    if (!this.#accept(message.socket)) return;
    this.#counted.add(message.socket);
    this.#live.inc();
  }

  #onHandshakeEnd(message: HandshakeEndMessage): void {
    if (!this.#counted.has(message.socket)) return;
    const result = message.ok ? 'ok' : 'failed';
    this.#handshakes.inc({
      result,
      version: message.version ?? 'none',
      resumed: message.resumed ? 'yes' : 'no',
    });
    this.#duration.observe({ result }, message.durationMs / 1000);
  }

  #onVerifyFailure(message: VerifyFailureMessage): void {
    if (!this.#counted.has(message.socket)) return;
    this.#verifyFailures.inc({ code: String(message.verifyCode) });
  }

  #onClose(message: StreamCloseMessage): void {
    if (!this.#counted.delete(message.socket)) return;
    this.#live.dec();
    this.#bytesIn.inc(message.bytesIn);
    this.#bytesOut.inc(message.bytesOut);
    this.#closes.inc({ reason: message.reason });
    const error = message.error;
    if (error) this.#errors.inc({ class: message.errorClass ?? 'Error', reason: reasonOf(error) });
  }
}

/** A bounded label for an error: OpenSSL's reason mnemonic, a timeout's phase, else ''. */
function reasonOf(error: Error): string {
  if (error instanceof SSLError) return error.reason ?? '';
  if (error instanceof TLSTimeoutError) return error.phase;
  return '';
}
