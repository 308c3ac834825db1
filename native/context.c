/*
 * One SSL_CTX per EngineConfig, configured in the order and with the calls of CPython's _ssl.c
 * (_SSLContext.__new__, set_ciphers, load_cert_chain, load_verify_locations, set_alpn_protocols...).
 */
#include "context.h"
#include "engine.h"
#include "error.h"
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* Python's PY_SSL_DEFAULT_CIPHER_STRING (3.10+), used when the config leaves ciphers unset. */
static const char DEFAULT_CIPHERS[] =
  "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM";
/* HMAC-SHA256 over the ticket, as Node's own ticket key callback computes it. */
static char TICKET_DIGEST[] = "SHA256";

static int ctx_data_index = -1;
/* On each SSL: the rx_ctx_data of the context it was made from (its session context). */
static int ssl_origin_index = -1;

static void free_ctx_data(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                          void *argp) {
  (void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
  rx_ctx_data *data = ptr;
  if (data == NULL) return;
  OPENSSL_free(data->alpn);
  OPENSSL_clear_free(data->ticket_keys, data->ticket_key_count * RX_TICKET_KEY_LENGTH);
  OPENSSL_free(data);
}

int rx_ctx_data_index(void) { return ctx_data_index; }

bool rx_context_bind_ssl(SSL *ssl, SSL_CTX *ctx) {
  return SSL_set_ex_data(ssl, ssl_origin_index, SSL_CTX_get_ex_data(ctx, ctx_data_index)) == 1;
}

/*
 * The session ticket key callback (docs/architecture.md, Session tickets): the newest key
 * encrypts; a ticket whose key name is any key of the ring decrypts, and one made with an older
 * key asks for a renewal (2), so the client gets a ticket under the newest key, as nginx does.
 * The cipher and MAC are Node's (AES-128-CBC, HMAC-SHA256 with the 16-byte secret), so the same
 * keys make the same tickets on both engines.
 */
static int ticket_key_cb(SSL *ssl, unsigned char key_name[16], unsigned char *iv,
                         EVP_CIPHER_CTX *cipher, EVP_MAC_CTX *mac, int enc) {
  const rx_ctx_data *data = SSL_get_ex_data(ssl, ssl_origin_index);
  if (data == NULL) data = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_data_index);
  if (data == NULL || data->ticket_key_count == 0) return enc ? -1 : 0;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, TICKET_DIGEST, 0),
    OSSL_PARAM_construct_end(),
  };
  if (enc) {
    const unsigned char *key = data->ticket_keys;
    if (RAND_bytes(iv, 16) != 1) return -1;
    memcpy(key_name, key, 16);
    if (EVP_EncryptInit_ex(cipher, EVP_aes_128_cbc(), NULL, key + 32, iv) != 1) return -1;
    if (EVP_MAC_init(mac, key + 16, 16, params) != 1) return -1;
    return 1;
  }
  for (size_t i = 0; i < data->ticket_key_count; i++) {
    const unsigned char *key = data->ticket_keys + i * RX_TICKET_KEY_LENGTH;
    if (CRYPTO_memcmp(key_name, key, 16) != 0) continue;
    if (EVP_MAC_init(mac, key + 16, 16, params) != 1) return -1;
    if (EVP_DecryptInit_ex(cipher, EVP_aes_128_cbc(), NULL, key + 32, iv) != 1) return -1;
    return i == 0 ? 1 : 2;
  }
  return 0; /* an unknown key: a full handshake */
}

/* The ticket keys and the session ID context (servers bind each SSL to it: engine.c). */
static bool set_session_keys(napi_env env, SSL_CTX *ctx, rx_ctx_data *data, napi_value opts) {
  napi_value value;
  void *bytes;
  size_t len;
  if (napi_get_named_property(env, opts, "sessionIdContext", &value) == napi_ok &&
      rx_buffer_data(env, value, &bytes, &len) && len > 0 && len <= SSL_MAX_SID_CTX_LENGTH) {
    memcpy(data->sid_ctx, bytes, len);
    data->sid_ctx_len = (unsigned int)len;
  }
  if (napi_get_named_property(env, opts, "ticketKeys", &value) != napi_ok ||
      !rx_buffer_data(env, value, &bytes, &len) || len == 0 || len % RX_TICKET_KEY_LENGTH != 0)
    return true; /* no keys: OpenSSL's own random ones */
  data->ticket_keys = OPENSSL_malloc(len);
  if (data->ticket_keys == NULL) return false;
  memcpy(data->ticket_keys, bytes, len);
  data->ticket_key_count = len / RX_TICKET_KEY_LENGTH;
  return SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_cb) == 1;
}

bool rx_context_unwrap(napi_env env, napi_value value, rx_context **out) {
  void *data = NULL;
  if (napi_unwrap(env, value, &data) != napi_ok || data == NULL) return false;
  *out = data;
  return true;
}

static void finalize_context(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  rx_context *context = data;
  SSL_CTX_free(context->ctx);
  free(context);
}

/* Hands OpenSSL the passphrase (never prompts: no passphrase means an empty one). */
static int password_cb(char *buf, int size, int rwflag, void *userdata) {
  (void)rwflag;
  const char *password = userdata;
  if (password == NULL || size <= 0) return 0;
  size_t len = strlen(password);
  if (len > (size_t)size) return -1;
  memcpy(buf, password, len);
  return (int)len;
}

/* Python's _selectALPN_cb: SSL_select_next_proto over the server's list first. */
static int select_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *client, unsigned int client_len, void *arg) {
  (void)arg;
  rx_ctx_data *data = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), rx_ctx_data_index());
  const unsigned char *server = (const unsigned char *)"";
  unsigned int server_len = 0;
  if (data != NULL && data->alpn != NULL) {
    server = data->alpn;
    server_len = data->alpn_len;
  }
  if (client == NULL) {
    client = (const unsigned char *)"";
    client_len = 0;
  }
  unsigned char *selected = NULL;
  int ret = SSL_select_next_proto(&selected, outlen, server, server_len, client, client_len);
  if (ret != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

static bool get_buffers(napi_env env, napi_value opts, const char *key, napi_value *array,
                        uint32_t *count) {
  bool is_array = false;
  *count = 0;
  if (napi_get_named_property(env, opts, key, array) != napi_ok) return false;
  if (napi_is_array(env, *array, &is_array) != napi_ok || !is_array) return true;
  return napi_get_array_length(env, *array, count) == napi_ok;
}

static bool load_trust(napi_env env, SSL_CTX *ctx, napi_value opts) {
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  napi_value array, item;
  uint32_t count;
  void *data;
  size_t len;
  if (!get_buffers(env, opts, "caCerts", &array, &count)) return false;
  for (uint32_t i = 0; i < count; i++) {
    if (napi_get_element(env, array, i, &item) != napi_ok) return false;
    if (!rx_buffer_data(env, item, &data, &len) || len > LONG_MAX) return false;
    const unsigned char *p = data;
    X509 *cert = d2i_X509(NULL, &p, (long)len);
    if (cert == NULL) return false;
    int ok = X509_STORE_add_cert(store, cert);
    X509_free(cert);
    if (!ok) {
      /* Python ignores "cert already in hash table" for the same certificate loaded twice. */
      unsigned long err = ERR_peek_last_error();
      if (ERR_GET_LIB(err) != ERR_LIB_X509 || ERR_GET_REASON(err) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
        return false;
      ERR_clear_error();
    }
  }
  if (!get_buffers(env, opts, "crls", &array, &count)) return false;
  for (uint32_t i = 0; i < count; i++) {
    if (napi_get_element(env, array, i, &item) != napi_ok) return false;
    if (!rx_buffer_data(env, item, &data, &len) || len > LONG_MAX) return false;
    const unsigned char *p = data;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (crl == NULL) return false;
    int ok = X509_STORE_add_crl(store, crl);
    X509_CRL_free(crl);
    if (!ok) return false;
  }
  return true;
}

/* load_cert_chain from memory: the leaf, its chain, the key, then the pair check. Failures to
 * parse PEM are reported as SSL_CTX_use_*_file reports them ("[SSL] PEM lib"), as in Python. */
static bool load_credentials(SSL_CTX *ctx, const char *chain_pem, const char *key_pem,
                             char *passphrase) {
  bool ok = false;
  BIO *bio = BIO_new_mem_buf(chain_pem, -1);
  X509 *leaf = NULL;
  EVP_PKEY *key = NULL;
  if (bio == NULL) return false;
  leaf = PEM_read_bio_X509_AUX(bio, NULL, password_cb, passphrase);
  if (leaf == NULL) {
    ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
    goto done;
  }
  if (SSL_CTX_use_certificate(ctx, leaf) != 1) goto done;
  if (SSL_CTX_clear_chain_certs(ctx) != 1) goto done;
  for (;;) {
    X509 *ca = PEM_read_bio_X509(bio, NULL, password_cb, passphrase);
    if (ca == NULL) break;
    if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
      X509_free(ca);
      goto done;
    }
  }
  /* The loop ends on "no start line" at the end of the text: that one is expected. */
  unsigned long err = ERR_peek_last_error();
  if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)
    ERR_clear_error();
  else if (err != 0) {
    ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
    goto done;
  }
  BIO_free(bio);
  bio = BIO_new_mem_buf(key_pem, -1);
  if (bio == NULL) goto done;
  key = PEM_read_bio_PrivateKey(bio, NULL, password_cb, passphrase);
  if (key == NULL) {
    ERR_raise(ERR_LIB_SSL, ERR_R_PEM_LIB);
    goto done;
  }
  if (SSL_CTX_use_PrivateKey(ctx, key) != 1) goto done;
  if (SSL_CTX_check_private_key(ctx) != 1) goto done;
  ok = true;
done:
  BIO_free(bio);
  X509_free(leaf);
  EVP_PKEY_free(key);
  return ok;
}

/* Each { certChainPem, keyPem, passphrase } of opts.credentials in order: OpenSSL keeps one chain
 * per key type, so an RSA and an ECDSA chain sit side by side and the handshake picks the one the
 * client's signature algorithms accept (docs/architecture.md, Certificates per key type). */
static bool load_all_credentials(napi_env env, SSL_CTX *ctx, napi_value opts) {
  napi_value array, item;
  uint32_t count;
  if (!get_buffers(env, opts, "credentials", &array, &count)) return false;
  for (uint32_t i = 0; i < count; i++) {
    if (napi_get_element(env, array, i, &item) != napi_ok) return false;
    char *chain = rx_get_string(env, item, "certChainPem");
    char *key = rx_get_string(env, item, "keyPem");
    char *passphrase = rx_get_string(env, item, "passphrase");
    bool ok = chain == NULL || key == NULL || load_credentials(ctx, chain, key, passphrase);
    if (passphrase != NULL) OPENSSL_cleanse(passphrase, strlen(passphrase));
    if (key != NULL) OPENSSL_cleanse(key, strlen(key));
    free(chain);
    free(key);
    free(passphrase);
    if (!ok) return false;
  }
  return true;
}

static bool load_dh(SSL_CTX *ctx, const char *pem) {
  BIO *bio = BIO_new_mem_buf(pem, -1);
  if (bio == NULL) return false;
  EVP_PKEY *params = PEM_read_bio_Parameters(bio, NULL);
  BIO_free(bio);
  if (params == NULL) return false;
  if (SSL_CTX_set0_tmp_dh_pkey(ctx, params) != 1) {
    EVP_PKEY_free(params);
    return false;
  }
  return true;
}

static bool set_alpn(napi_env env, SSL_CTX *ctx, rx_ctx_data *data, napi_value opts) {
  napi_value value;
  void *wire;
  size_t len;
  if (napi_get_named_property(env, opts, "alpn", &value) != napi_ok) return false;
  if (!rx_buffer_data(env, value, &wire, &len)) return true; /* no ALPN */
  if (len == 0 || len > UINT_MAX) return true;
  data->alpn = OPENSSL_malloc(len);
  if (data->alpn == NULL) return false;
  memcpy(data->alpn, wire, len);
  data->alpn_len = (unsigned int)len;
  if (SSL_CTX_set_alpn_protos(ctx, data->alpn, data->alpn_len) != 0) return false;
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn_cb, NULL);
  return true;
}

static int verify_mode_bits(int mode) {
  switch (mode) {
    case 1: return SSL_VERIFY_PEER;
    case 2: return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    default: return SSL_VERIFY_NONE;
  }
}

/* Configures everything; on failure the OpenSSL error queue (or *message) says why. */
static bool configure(napi_env env, SSL_CTX *ctx, rx_ctx_data *data, napi_value opts,
                      const char **message) {
  uint64_t options = (uint64_t)rx_get_number(env, opts, "options", 0);
  SSL_CTX_clear_options(ctx, ~options);
  SSL_CTX_set_options(ctx, options);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  int min = (int)rx_get_number(env, opts, "minVersion", 0);
  int max = (int)rx_get_number(env, opts, "maxVersion", 0);
  if (SSL_CTX_set_min_proto_version(ctx, min > 0 ? min : 0) != 1) return false;
  if (SSL_CTX_set_max_proto_version(ctx, max > 0 ? max : 0) != 1) return false;
  SSL_CTX_set_verify(ctx, verify_mode_bits((int)rx_get_number(env, opts, "verifyMode", 0)), NULL);

  X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
  unsigned long flags = (unsigned long)rx_get_number(env, opts, "verifyFlags", 0);
  unsigned long current = X509_VERIFY_PARAM_get_flags(param);
  X509_VERIFY_PARAM_clear_flags(param, current & ~flags);
  X509_VERIFY_PARAM_set_flags(param, flags & ~current);
  unsigned int hostflags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
  if (!rx_get_bool(env, opts, "hostnameChecksCommonName"))
    hostflags |= X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
  X509_VERIFY_PARAM_set_hostflags(param, hostflags);

  if (!load_trust(env, ctx, opts)) return false;

  char *ciphers = rx_get_string(env, opts, "ciphers");
  int ok = SSL_CTX_set_cipher_list(ctx, ciphers != NULL ? ciphers : DEFAULT_CIPHERS);
  free(ciphers);
  if (!ok) {
    ERR_clear_error();
    *message = "No cipher can be selected.";
    return false;
  }
  char *suites = rx_get_string(env, opts, "ciphersuites");
  ok = suites == NULL || SSL_CTX_set_ciphersuites(ctx, suites) == 1;
  free(suites);
  if (!ok) return false;
  char *groups = rx_get_string(env, opts, "groups");
  ok = groups == NULL || SSL_CTX_set1_groups_list(ctx, groups) == 1;
  free(groups);
  if (!ok) return false;
  char *dh = rx_get_string(env, opts, "dhParamsPem");
  ok = dh == NULL || load_dh(ctx, dh);
  free(dh);
  if (!ok) return false;

  if (!load_all_credentials(env, ctx, opts)) return false;

  if (!set_alpn(env, ctx, data, opts)) return false;
  if (SSL_CTX_set_num_tickets(ctx, (size_t)rx_get_number(env, opts, "numTickets", 2)) != 1)
    return false;
  if (!set_session_keys(env, ctx, data, opts)) return false;

  /* Python only stores the flag: newPySSLSocket applies it to each SSL (engine.c). */
  data->post_handshake_auth = rx_get_bool(env, opts, "postHandshakeAuth");
  data->keylog = rx_get_bool(env, opts, "keylog");
  if (data->keylog) SSL_CTX_set_keylog_callback(ctx, rx_keylog_cb);
  data->sni = rx_get_bool(env, opts, "sni");
  if (data->sni) SSL_CTX_set_tlsext_servername_callback(ctx, rx_servername_cb);
  /* The certificate selector: OpenSSL's client hello callback may suspend the handshake. */
  if (rx_get_bool(env, opts, "clientHello"))
    SSL_CTX_set_client_hello_cb(ctx, rx_client_hello_cb, NULL);
  data->psk_client = rx_get_bool(env, opts, "pskClient");
  if (data->psk_client) SSL_CTX_set_psk_client_callback(ctx, rx_psk_client_cb);
  data->psk_server = rx_get_bool(env, opts, "pskServer");
  if (data->psk_server) {
    SSL_CTX_set_psk_server_callback(ctx, rx_psk_server_cb);
    char *hint = rx_get_string(env, opts, "pskIdentityHint");
    ok = hint == NULL || SSL_CTX_use_psk_identity_hint(ctx, hint) == 1;
    free(hint);
    if (!ok) return false;
  }
  return true;
}

/* newContext(options) -> an object owning the compiled SSL_CTX; throws an error description. */
static napi_value new_context(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "newContext(options) expects an object");
    return NULL;
  }
  napi_value opts = argv[0];
  ERR_clear_error();
  double side = rx_get_number(env, opts, "side", -1);
  const SSL_METHOD *method =
    side == 1 ? TLS_server_method() : side == 0 ? TLS_client_method() : TLS_method();
  SSL_CTX *ctx = SSL_CTX_new(method);
  if (ctx == NULL) {
    rx_throw_openssl(env, NULL);
    return NULL;
  }
  rx_ctx_data *data = OPENSSL_zalloc(sizeof(*data));
  if (data == NULL || !SSL_CTX_set_ex_data(ctx, rx_ctx_data_index(), data)) {
    OPENSSL_free(data);
    SSL_CTX_free(ctx);
    napi_throw_error(env, NULL, "rxtls: out of memory");
    return NULL;
  }
  const char *message = NULL;
  if (!configure(env, ctx, data, opts, &message)) {
    SSL_CTX_free(ctx);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) rx_throw_openssl(env, message);
    return NULL;
  }
  rx_context *context = malloc(sizeof(*context));
  if (context == NULL) {
    SSL_CTX_free(ctx);
    napi_throw_error(env, NULL, "rxtls: out of memory");
    return NULL;
  }
  context->ctx = ctx;
  napi_create_object(env, &result);
  if (napi_wrap(env, result, context, finalize_context, NULL, NULL) != napi_ok) {
    finalize_context(env, context, NULL);
    napi_throw_error(env, NULL, "rxtls: napi_wrap failed");
    return NULL;
  }
  return result;
}

napi_value rx_context_init(napi_env env, napi_value exports) {
  if (ctx_data_index < 0) {
    ctx_data_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_ctx_data);
    if (ctx_data_index < 0) {
      napi_throw_error(env, NULL, "rxtls: SSL_CTX_get_ex_new_index failed");
      return NULL;
    }
  }
  if (ssl_origin_index < 0) {
    ssl_origin_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    if (ssl_origin_index < 0) {
      napi_throw_error(env, NULL, "rxtls: SSL_get_ex_new_index failed");
      return NULL;
    }
  }
  napi_property_descriptor props[] = {
    RX_METHOD("newContext", new_context),
  };
  RX_DEFINE(env, exports, props);
  return exports;
}
