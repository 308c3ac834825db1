/**
 * rxtls: non-blocking TLS for Node.js with the semantics of Python's `ssl` module.
 *
 * One curated entry point: every public name is listed here under its layer, as rxjs's index
 * does. Nothing else in the package is public.
 */
import 'reflect-metadata';

// ---------------------------------------------------------------------------------------------
// Errors
export {
  CertificateError,
  NotImplementedError,
  SSLCertVerificationError,
  SSLEOFError,
  SSLError,
  type SSLErrorDetails,
  SSLErrorNumber,
  SSLSyscallError,
  SSLWantClientHelloError,
  SSLWantReadError,
  SSLWantWriteError,
  SSLZeroReturnError,
  FrameTooLongError,
  isWouldBlock,
  StartTlsError,
  type TimeoutPhase,
  TLSTimeoutError,
  UnicodeError,
  ValueError,
  type VerificationDetails,
} from './errors/errors.js';

// ---------------------------------------------------------------------------------------------
// Constants
export {
  ALERT_DESCRIPTION_ACCESS_DENIED,
  ALERT_DESCRIPTION_BAD_CERTIFICATE,
  ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE,
  ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE,
  ALERT_DESCRIPTION_BAD_RECORD_MAC,
  ALERT_DESCRIPTION_CERTIFICATE_EXPIRED,
  ALERT_DESCRIPTION_CERTIFICATE_REVOKED,
  ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN,
  ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE,
  ALERT_DESCRIPTION_CLOSE_NOTIFY,
  ALERT_DESCRIPTION_DECODE_ERROR,
  ALERT_DESCRIPTION_DECOMPRESSION_FAILURE,
  ALERT_DESCRIPTION_DECRYPT_ERROR,
  ALERT_DESCRIPTION_HANDSHAKE_FAILURE,
  ALERT_DESCRIPTION_ILLEGAL_PARAMETER,
  ALERT_DESCRIPTION_INSUFFICIENT_SECURITY,
  ALERT_DESCRIPTION_INTERNAL_ERROR,
  ALERT_DESCRIPTION_NO_RENEGOTIATION,
  ALERT_DESCRIPTION_PROTOCOL_VERSION,
  ALERT_DESCRIPTION_RECORD_OVERFLOW,
  ALERT_DESCRIPTION_UNEXPECTED_MESSAGE,
  ALERT_DESCRIPTION_UNKNOWN_CA,
  ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY,
  ALERT_DESCRIPTION_UNRECOGNIZED_NAME,
  ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE,
  ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION,
  ALERT_DESCRIPTION_USER_CANCELLED,
  AlertDescription,
  type ASN1Object,
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  CHANNEL_BINDING_TYPES,
  HAS_ALPN,
  HAS_ECDH,
  HAS_NEVER_CHECK_COMMON_NAME,
  HAS_NPN,
  HAS_PSK,
  HAS_SNI,
  HAS_SSLv2,
  HAS_SSLv3,
  HAS_TLSv1,
  HAS_TLSv1_1,
  HAS_TLSv1_2,
  HAS_TLSv1_3,
  OP_ALL,
  OP_CIPHER_SERVER_PREFERENCE,
  OP_ENABLE_MIDDLEBOX_COMPAT,
  OP_IGNORE_UNEXPECTED_EOF,
  OP_NO_COMPRESSION,
  OP_NO_RENEGOTIATION,
  OP_NO_SSLv2,
  OP_NO_SSLv3,
  OP_NO_TICKET,
  OP_NO_TLSv1,
  OP_NO_TLSv1_1,
  OP_NO_TLSv1_2,
  OP_NO_TLSv1_3,
  OP_SINGLE_DH_USE,
  OP_SINGLE_ECDH_USE,
  OPENSSL_VERSION,
  OPENSSL_VERSION_INFO,
  OPENSSL_VERSION_NUMBER,
  Options,
  PROTOCOL_SSLv23,
  PROTOCOL_TLS,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  PROTOCOL_TLSv1,
  PROTOCOL_TLSv1_1,
  PROTOCOL_TLSv1_2,
  Purpose,
  SSL_ERROR_EOF,
  SSL_ERROR_INVALID_ERROR_CODE,
  SSL_ERROR_SSL,
  SSL_ERROR_SYSCALL,
  SSL_ERROR_WANT_CONNECT,
  SSL_ERROR_WANT_READ,
  SSL_ERROR_WANT_WRITE,
  SSL_ERROR_WANT_X509_LOOKUP,
  SSL_ERROR_ZERO_RETURN,
  SSLMethod,
  TLSVersion,
  VERIFY_ALLOW_PROXY_CERTS,
  VERIFY_CRL_CHECK_CHAIN,
  VERIFY_CRL_CHECK_LEAF,
  VERIFY_DEFAULT,
  VERIFY_X509_PARTIAL_CHAIN,
  VERIFY_X509_STRICT,
  VERIFY_X509_TRUSTED_FIRST,
  VerifyFlags,
  VerifyMode,
} from './constants/ssl-constants.js';

// ---------------------------------------------------------------------------------------------
// Certificates and randomness
export type {
  DecodedCert,
  DistinguishedName,
  NameAttribute,
  RelativeDistinguishedName,
  SubjectAltName,
} from './x509/decoded-cert.js';
export { type DefaultVerifyPaths, getDefaultVerifyPaths } from './context/default-verify-paths.js';
export { randAdd, randBytes, randStatus } from './context/rand.js';
export { certTimeToSeconds } from './x509/cert-time.js';
export { matchHostname } from './x509/match-hostname.js';
export {
  X509_V_ERR_HOSTNAME_MISMATCH,
  X509_V_ERR_IP_ADDRESS_MISMATCH,
} from './errors/verify-codes.js';
export { decodeCert } from './x509/decode-cert.js';
export {
  derCertToPemCert,
  PEM_FOOTER,
  PEM_HEADER,
  parseCertificates,
  pemCertToDerCert,
} from './x509/pem.js';
export {
  type CertificateAndKey,
  type CertificateAuthorityOptions,
  type CertificateOptions,
  createCertificateAuthority,
  createSelfSignedCertificate,
  issueCertificate,
  type LeafCertificateOptions,
} from './x509/cert-factory.js';
export type { SubjectAltNames } from './x509/general-names.js';
export type { KeyType } from './x509/key-pair.js';

// ---------------------------------------------------------------------------------------------
// Contexts
export { createDefaultContext } from './context/default-context.js';
export type {
  PskClientCallback,
  PskServerCallback,
  SessionStats,
  SniCallback,
  SSLContextOptions,
  WrapBioOptions,
} from './context/context-types.js';
export { SSLContext } from './context/ssl-context.js';
export {
  type CertificateChoice,
  type CertificateSelector,
  type CertificateSelectorOptions,
  type ClientHelloInfo,
  DEFAULT_LOOKUP_TIMEOUT_MS,
} from './context/certificate-selector.js';
export type { CipherInfo } from './context/cipher-table.js';
export type { ChainData, LoadedChain, Password } from './context/credentials.js';
// Live certificates (docs/architecture.md, Live certificates)
export {
  type CertificateFiles,
  type CertificateSummary,
  type CredentialFiles,
  type CredentialReload,
  CredentialReloadError,
  type CredentialReloadEvent,
  type CredentialReloadFailure,
  reloadCredentials,
} from './context/credential-reload.js';
export { type WatchCredentialsOptions, watchCredentials } from './context/credential-watch.js';
export type { CertStoreStats } from './context/trust-store.js';
// Session tickets: key rings shared across workers, processes and machines.
export {
  DEFAULT_KEEP,
  DEFAULT_ROTATE_EVERY_MS,
  DEFAULT_SYNC_EVERY_MS,
  rotateTicketKeys,
  type TicketKeyEvent,
  type TicketKeyRotationOptions,
  type TicketKeyTarget,
} from './context/session-tickets/ticket-key-rotation.js';
export {
  MemoryTicketKeyStore,
  type RotationPolicy,
  type StoredRing,
  type TicketKeyStore,
} from './context/session-tickets/ticket-key-store.js';
export {
  RedisTicketKeyStore,
  type RedisTicketKeyStoreOptions,
} from './context/session-tickets/redis-ticket-key-store.js';
export { TICKET_KEY_LENGTH } from './context/session-tickets/ticket-keys.js';

// ---------------------------------------------------------------------------------------------
// The sans-IO engine
export { MemoryBIO, type MemoryBIOOptions } from './transport/sansio/memory-bio.js';
export {
  type ReadinessEvent,
  type ReadinessType,
  SSLObject,
  SSLSession,
} from './transport/sansio/ssl-object.js';
export type { CipherTuple, EngineKind } from './transport/sansio/engine.js';

// ---------------------------------------------------------------------------------------------
// Policies and dependency injection
export {
  CLIENT_CONTEXT,
  CLIENT_POLICY,
  CONTEXT_OPTIONS,
  SERVER_CONTEXT,
  SERVER_POLICY,
} from './di/tokens.js';
export { combinePolicies, PythonDefaults, type TlsPolicy } from './context/tls-policy.js';
export type {
  CertificateSource,
  ContextOptions,
  TrustSource,
} from './context/context-options.js';
export { ContextFactory } from './di/context-factory.js';
export { createContainer, type DefaultsOptions, registerDefaults } from './di/container.js';
export {
  MOZILLA_GROUPS,
  MOZILLA_GUIDELINES_VERSION,
  MOZILLA_INTERMEDIATE_CIPHERS,
  MOZILLA_OLD_CIPHERS,
  MozillaIntermediate,
  MozillaModern,
  MozillaOld,
} from './context/policies/mozilla.js';
export { MutualTls, type MutualTlsOptions } from './context/policies/mutual-tls.js';
export { checkPin, PinnedPublicKey, publicKeyPin } from './context/policies/pinned-public-key.js';
export { type PeerCheck, peerCheckError } from './context/peer-checks.js';
export {
  createNativeEngine,
  type NativeSession,
  nativeEngineAvailable,
  nativeLoadError,
} from './transport/engines/native/native-engine.js';

// ---------------------------------------------------------------------------------------------
// Transports, secure streams and the reactor
export type { Transport, TransportAddress } from './transport/transport.js';
export {
  type NativeListenOptions,
  type NativeTcpConnectOptions,
  NativeTcpListener,
  NativeTcpTransport,
  nativeTcpAvailable,
  type TcpKind,
} from './transport/engines/native/native-tcp.js';
export { type TcpConnectOptions, TcpTransport } from './transport/tcp-transport.js';
export { memoryPipe } from './transport/memory-pipe.js';
export { SSLSocket } from './transport/stream/ssl-socket.js';
export type { SSLSocketOptions } from './transport/stream/stream-options.js';
export type { SecureStreamState } from './transport/stream/stream-state.js';
export {
  defaultReactor,
  Reactor,
  type ReactorStats,
  type ShutdownOptions,
} from './transport/stream/reactor.js';
export type { WrapSocketOptions } from './context/context-types.js';
export {
  type ConnectOptions,
  connect,
  getServerCertificate,
  type ServerCertificateOptions,
  type StartTlsOptions,
  startTls,
} from './endpoints/connect.js';
export {
  createServer,
  SERVER_HANDSHAKE_TIMEOUT_MS,
  Server,
  type ServerOptions,
  type ServerStats,
} from './endpoints/server.js';
export {
  DEFAULT_HANDSHAKE_QUEUE,
  DEFAULT_MAX_HANDSHAKES,
  type HandshakeGateStats,
} from './endpoints/handshake-gate.js';
export {
  type ClusterServerOptions,
  type ClusterStats,
  ServerCluster,
  type WorkerEvent,
  type WorkerReload,
  type WorkerStats,
} from './endpoints/cluster/server-cluster.js';
export type {
  WorkerInfo,
  WorkerSetup,
  WorkerSetupFunction,
} from './endpoints/cluster/worker-setup.js';
export { SecureDuplex, toNodeDuplex } from './protocol/node-duplex.js';
export {
  type HttpHandler,
  type HttpRequest,
  type HttpResponse,
  HttpService,
  type HttpServiceOptions,
} from './protocol/http/http-service.js';
export {
  createHttpsServer,
  HttpsServer,
  type HttpsServerOptions,
} from './endpoints/https-server.js';

// ---------------------------------------------------------------------------------------------
// Protocols on decrypted streams
export {
  isProtocolClass,
  type Protocol,
  type ProtocolClass,
  type ProtocolFunction,
  type ProtocolOutput,
  type ProtocolSpec,
} from './protocol/protocol.js';
export {
  bindProtocol,
  type ProtocolResolver,
  type ProtocolRun,
  type ProtocolState,
} from './protocol/run-protocol.js';
export { runProtocol } from './endpoints/run-protocol.js';
export {
  encodeLengthPrefixed,
  type HeaderBytes,
  type LengthPrefixedOptions,
  type LinesOptions,
  lengthPrefixed,
  lines,
} from './protocol/framing.js';
export { EchoProtocol, echo } from './protocol/echo-protocol.js';
export {
  type AcceptStartTlsOptions,
  acceptStartTls,
  DEFAULT_MAX_LINE_LENGTH,
  type NegotiateStartTlsOptions,
  negotiateStartTls,
  PlaintextConversation,
} from './protocol/starttls.js';
export { REACTOR } from './di/tokens.js';

// ---------------------------------------------------------------------------------------------
// Diagnostics channels and Prometheus metrics (docs/architecture.md, Diagnostics and metrics)
export {
  CHANNEL_HANDSHAKE_END,
  CHANNEL_HANDSHAKE_START,
  CHANNEL_STREAM_CLOSE,
  CHANNEL_VERIFY_FAILURE,
  type HandshakeEndMessage,
  type HandshakeStartMessage,
  type StreamCloseMessage,
  type StreamCloseReason,
  type VerifyFailureMessage,
} from './transport/stream/stream-diagnostics.js';
export {
  type MetricsSource,
  ServerMetrics,
  type ServerMetricsOptions,
} from './endpoints/metrics/server-metrics.js';
export { METRICS_PATH, MetricsEndpoint } from './endpoints/metrics/metrics-http.js';
