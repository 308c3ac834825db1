/*
 * Module entry, shared helpers, and the raw error description that the TypeScript side turns into
 * Python's exception classes (the class choice and message wording live there, next to errors.ts).
 */
#include "addon.h"
#include "abi.h"
#include "context.h"
#include "engine.h"
#include "error.h"
#include "fusion.h"
#include "socket.h"
#include <openssl/err.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Python's lib_codes_to_names (Modules/_ssl_data_300.h): OpenSSL's library numbers, short names. */
static const struct { int lib; const char *name; } LIBRARY_NAMES[] = {
  {ERR_LIB_NONE, "NONE"}, {ERR_LIB_SYS, "SYS"}, {ERR_LIB_BN, "BN"}, {ERR_LIB_RSA, "RSA"},
  {ERR_LIB_DH, "DH"}, {ERR_LIB_EVP, "EVP"}, {ERR_LIB_BUF, "BUF"}, {ERR_LIB_OBJ, "OBJ"},
  {ERR_LIB_PEM, "PEM"}, {ERR_LIB_DSA, "DSA"}, {ERR_LIB_X509, "X509"}, {ERR_LIB_ASN1, "ASN1"},
  {ERR_LIB_CONF, "CONF"}, {ERR_LIB_CRYPTO, "CRYPTO"}, {ERR_LIB_EC, "EC"}, {ERR_LIB_SSL, "SSL"},
  {ERR_LIB_BIO, "BIO"}, {ERR_LIB_PKCS7, "PKCS7"}, {ERR_LIB_X509V3, "X509V3"},
  {ERR_LIB_PKCS12, "PKCS12"}, {ERR_LIB_RAND, "RAND"}, {ERR_LIB_DSO, "DSO"},
  {ERR_LIB_ENGINE, "ENGINE"}, {ERR_LIB_OCSP, "OCSP"}, {ERR_LIB_UI, "UI"}, {ERR_LIB_COMP, "COMP"},
  {ERR_LIB_ECDSA, "ECDSA"}, {ERR_LIB_ECDH, "ECDH"}, {ERR_LIB_OSSL_STORE, "OSSL_STORE"},
  {ERR_LIB_FIPS, "FIPS"}, {ERR_LIB_CMS, "CMS"}, {ERR_LIB_TS, "TS"}, {ERR_LIB_HMAC, "HMAC"},
  {ERR_LIB_CT, "CT"}, {ERR_LIB_ASYNC, "ASYNC"}, {ERR_LIB_KDF, "KDF"}, {ERR_LIB_SM2, "SM2"},
  {ERR_LIB_ESS, "ESS"}, {ERR_LIB_PROP, "PROP"}, {ERR_LIB_CRMF, "CRMF"}, {ERR_LIB_PROV, "PROV"},
  {ERR_LIB_CMP, "CMP"}, {ERR_LIB_OSSL_ENCODER, "OSSL_ENCODER"},
  {ERR_LIB_OSSL_DECODER, "OSSL_DECODER"}, {ERR_LIB_HTTP, "HTTP"}, {ERR_LIB_USER, "USER"},
};

napi_value rx_undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

napi_value rx_null(napi_env env) {
  napi_value v;
  napi_get_null(env, &v);
  return v;
}

napi_value rx_buffer(napi_env env, const unsigned char *data, size_t len) {
  napi_value v;
  void *copy;
  if (napi_create_buffer_copy(env, len, len == 0 ? "" : (const void *)data, &copy, &v) != napi_ok)
    return rx_undefined(env);
  return v;
}

static void set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  if (value == NULL) return;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
}

static void set_int(napi_env env, napi_value obj, const char *key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

/* OpenSSL's reason text as Python's mnemonic ("wrong version number" -> WRONG_VERSION_NUMBER);
 * checked against Python's err_codes_to_names for every code OpenSSL 3.0 knows. Common reasons
 * (ERR_R_*: "PEM lib", "malloc failure") are not in Python's table, so they have no mnemonic. */
static char *reason_mnemonic(unsigned long code) {
  if (ERR_SYSTEM_ERROR(code) || (ERR_GET_REASON(code) & ERR_RFLAG_COMMON) != 0) return NULL;
  const char *text = ERR_reason_error_string(code);
  if (text == NULL) return NULL;
  size_t len = strlen(text);
  char *out = malloc(len + 1);
  if (out == NULL) return NULL;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    out[i] = c == ' ' ? '_' : (char)toupper(c);
  }
  out[len] = '\0';
  return out;
}

static const char *library_name(unsigned long code) {
  int lib = ERR_GET_LIB(code);
  for (size_t i = 0; i < sizeof(LIBRARY_NAMES) / sizeof(LIBRARY_NAMES[0]); i++)
    if (LIBRARY_NAMES[i].lib == lib) return LIBRARY_NAMES[i].name;
  return NULL;
}

/*
 * Describes the failure of an OpenSSL call as PySSL_SetError sees it: SSL_get_error's value, the
 * call's return value, and the last error on the queue (ERR_peek_last_error, as Python uses).
 * ssl may be NULL (context-level errors). Clears the error queue.
 */
napi_value rx_error_object(napi_env env, const SSL *ssl, int ssl_error, int ret) {
  napi_value obj;
  napi_create_object(env, &obj);
  napi_value flag;
  napi_get_boolean(env, true, &flag);
  napi_set_named_property(env, obj, "rxtlsNative", flag);
  set_int(env, obj, "sslError", ssl_error);
  set_int(env, obj, "ret", ret);
  unsigned long code = ERR_peek_last_error();
  if (code != 0) {
    set_int(env, obj, "lib", ERR_GET_LIB(code));
    set_string(env, obj, "library", library_name(code));
    char *mnemonic = reason_mnemonic(code);
    set_string(env, obj, "reason", mnemonic);
    free(mnemonic);
    set_string(env, obj, "reasonText", ERR_reason_error_string(code));
    if (ERR_SYSTEM_ERROR(code)) set_int(env, obj, "systemError", ERR_GET_REASON(code));
    if (ssl != NULL && ERR_GET_LIB(code) == ERR_LIB_SSL &&
        ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      long verify = SSL_get_verify_result(ssl);
      set_int(env, obj, "verifyCode", (double)verify);
      set_string(env, obj, "verifyMessage", X509_verify_cert_error_string(verify));
    }
  }
  ERR_clear_error();
  return obj;
}

/* An error description with a fixed message (argument and state errors found in C). */
napi_value rx_plain_error(napi_env env, const char *message) {
  napi_value obj = rx_error_object(env, NULL, SSL_ERROR_SSL, 0);
  set_string(env, obj, "message", message);
  return obj;
}

/* Throws the description of the last OpenSSL error (a context-level call failed). */
void rx_throw_openssl(napi_env env, const char *fallback) {
  napi_value obj = rx_error_object(env, NULL, SSL_ERROR_SSL, 0);
  set_string(env, obj, "message", fallback);
  napi_throw(env, obj);
}

bool rx_get_bool(napi_env env, napi_value object, const char *key) {
  napi_value v;
  bool out = false;
  if (napi_get_named_property(env, object, key, &v) != napi_ok) return false;
  if (napi_get_value_bool(env, v, &out) != napi_ok) return false;
  return out;
}

double rx_get_number(napi_env env, napi_value object, const char *key, double fallback) {
  napi_value v;
  double out;
  if (napi_get_named_property(env, object, key, &v) != napi_ok) return fallback;
  if (napi_get_value_double(env, v, &out) != napi_ok) return fallback;
  return out;
}

char *rx_get_string(napi_env env, napi_value object, const char *key) {
  napi_value v;
  napi_valuetype type;
  size_t len;
  if (napi_get_named_property(env, object, key, &v) != napi_ok) return NULL;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_string) return NULL;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *out = malloc(len + 1);
  if (out == NULL) return NULL;
  if (napi_get_value_string_utf8(env, v, out, len + 1, &len) != napi_ok) {
    free(out);
    return NULL;
  }
  return out;
}

bool rx_get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "rxtls: bad arguments");
    return false;
  }
  return true;
}

bool rx_buffer_data(napi_env env, napi_value value, void **data, size_t *len) {
  bool is_typed = false;
  napi_typedarray_type type;
  napi_value arraybuffer;
  size_t offset;
  *data = NULL;
  *len = 0;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return false;
  if (napi_get_typedarray_info(env, value, &type, len, data, &arraybuffer, &offset) != napi_ok)
    return false;
  if (type != napi_uint8_array) return false;
  return true;
}

static napi_value openssl_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &v);
  return v;
}

/* Sets table[group][name] = value (table[name] without a group), making the group's object. */
static void abi_entry(napi_env env, napi_value table, const char *group, const char *name,
                      double value) {
  napi_value target = table, number;
  if (group != NULL) {
    bool has = false;
    napi_has_named_property(env, table, group, &has);
    if (has) {
      napi_get_named_property(env, table, group, &target);
    } else {
      napi_create_object(env, &target);
      napi_set_named_property(env, table, group, target);
    }
  }
  napi_create_double(env, value, &number);
  napi_set_named_property(env, target, name, number);
}

/* The numbers this addon was built with (abi.h), exported as `abi`: native-binding.ts refuses an
 * addon whose table differs from its abi.ts (see docs/architecture.md, The ABI). */
static napi_value abi_table(napi_env env) {
  napi_value table;
  napi_create_object(env, &table);
#define RX_ABI_ENTRY(group, name, value) abi_entry(env, table, group, name, value);
  RX_ABI_TABLE(RX_ABI_ENTRY)
#undef RX_ABI_ENTRY
  return table;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    RX_METHOD("opensslVersion", openssl_version),
  };
  RX_DEFINE(env, exports, props);
  napi_set_named_property(env, exports, "abi", abi_table(env));
  if (rx_context_init(env, exports) == NULL) return NULL;
  if (rx_engine_init(env, exports) == NULL) return NULL;
  if (rx_socket_init(env, exports) == NULL) return NULL;
  return rx_fusion_init(env, exports);
}

NAPI_MODULE_INIT() { return init(env, exports); }
