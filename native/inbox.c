/*
 * The inbox (inbox.h): an engine's read BIO. OpenSSL reads each record from it into its own
 * record buffer and decrypts there, so ciphertext that waits in a BIO_s_mem is copied twice on
 * its way in: into the BIO, then out of it. On the fused path the socket lends its read buffer
 * instead, the engine is driven while the loan lasts, and only what OpenSSL did not read (a
 * reader that is behind) is copied when the loan ends: one copy of every received byte fewer.
 * And where BIO_s_mem keeps its largest buffer for the connection's life, the inbox frees its
 * copy as soon as it has been read (docs/architecture.md, Memory per idle connection).
 */
#include "inbox.h"
#include <limits.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

typedef struct rx_inbox {
  char *kept;           /* bytes written, or lent and settled, not read yet: [start, end) */
  size_t start, end, capacity;
  const char *lent;     /* the bytes lent, not read yet */
  size_t lent_len;
  size_t lost;          /* lent bytes a failed copy lost, not reported by a settle yet */
  bool eof;             /* an empty inbox means the end, not "retry later" */
} rx_inbox;

static size_t pending(const rx_inbox *in) { return in->end - in->start + in->lent_len; }

/* Read empty: the copy goes (an idle connection keeps none). */
static void release_kept(rx_inbox *in) {
  free(in->kept);
  in->kept = NULL;
  in->start = in->end = in->capacity = 0;
}

static bool keep(rx_inbox *in, const char *data, size_t len) {
  if (len == 0) return true;
  if (in->end + len > in->capacity && in->start > 0) {
    memmove(in->kept, in->kept + in->start, in->end - in->start);
    in->end -= in->start;
    in->start = 0;
  }
  if (in->end + len > in->capacity) {
    size_t capacity = in->capacity == 0 ? 4096 : in->capacity;
    while (capacity < in->end + len) capacity *= 2;
    char *grown = realloc(in->kept, capacity);
    if (grown == NULL) return false;
    in->kept = grown;
    in->capacity = capacity;
  }
  memcpy(in->kept + in->end, data, len);
  in->end += len;
  return true;
}

/* Ends a loan: its unread bytes are kept, or counted as lost until the next settle reports them
 * (a write that ends a loan cannot report it: the loan's owner learns it when it settles). */
static void end_loan(rx_inbox *in) {
  if (!keep(in, in->lent, in->lent_len)) in->lost += in->lent_len;
  in->lent = NULL;
  in->lent_len = 0;
}

static int inbox_read(BIO *bio, char *out, int outl) {
  rx_inbox *in = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  if (outl <= 0) return 0;
  size_t want = (size_t)outl, got = 0;
  size_t kept = in->end - in->start;
  if (kept > 0) {
    got = kept < want ? kept : want;
    memcpy(out, in->kept + in->start, got);
    in->start += got;
    if (in->start == in->end) release_kept(in);
  }
  if (got < want && in->lent_len > 0) {
    size_t n = in->lent_len < want - got ? in->lent_len : want - got;
    memcpy(out + got, in->lent, n);
    in->lent += n;
    in->lent_len -= n;
    got += n;
  }
  if (got > 0) return (int)got;
  if (in->eof) return 0;
  BIO_set_retry_read(bio);
  return -1;
}

static int inbox_write(BIO *bio, const char *data, int len) {
  rx_inbox *in = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  /* Written bytes come after lent ones: the loan is settled first. */
  end_loan(in);
  if (!keep(in, data, (size_t)len)) return -1;
  return len;
}

static long inbox_ctrl(BIO *bio, int cmd, long num, void *ptr) {
  (void)ptr;
  rx_inbox *in = BIO_get_data(bio);
  switch (cmd) {
    case BIO_CTRL_PENDING: {
      size_t n = pending(in);
      return n > LONG_MAX ? LONG_MAX : (long)n;
    }
    case BIO_CTRL_EOF:
      return in->eof && pending(in) == 0;
    case BIO_C_SET_BUF_MEM_EOF_RETURN:
      /* As on a memory BIO: 0 is what an empty read returns at the end; -1 means retry. */
      in->eof = num == 0;
      return 1;
    case BIO_CTRL_FLUSH:
      return 1;
    default:
      return 0;
  }
}

static int inbox_create(BIO *bio) {
  rx_inbox *in = calloc(1, sizeof(*in));
  if (in == NULL) return 0;
  BIO_set_data(bio, in);
  BIO_set_init(bio, 1);
  return 1;
}

static int inbox_destroy(BIO *bio) {
  rx_inbox *in = BIO_get_data(bio);
  if (in != NULL) {
    free(in->kept);
    free(in);
  }
  BIO_set_data(bio, NULL);
  return 1;
}

static BIO_METHOD *inbox_method;
static CRYPTO_ONCE inbox_once = CRYPTO_ONCE_STATIC_INIT;

/* Once per process, whichever thread (worker) makes the first engine. */
static void make_method(void) {
  BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rxtls inbox");
  if (method == NULL || !BIO_meth_set_read(method, inbox_read) ||
      !BIO_meth_set_write(method, inbox_write) || !BIO_meth_set_ctrl(method, inbox_ctrl) ||
      !BIO_meth_set_create(method, inbox_create) || !BIO_meth_set_destroy(method, inbox_destroy)) {
    BIO_meth_free(method);
    return;
  }
  inbox_method = method;
}

BIO *rx_inbox_new(void) {
  if (!CRYPTO_THREAD_run_once(&inbox_once, make_method) || inbox_method == NULL) return NULL;
  return BIO_new(inbox_method);
}

void rx_inbox_lend(BIO *bio, const char *data, size_t len) {
  rx_inbox *in = BIO_get_data(bio);
  in->lent = data;
  in->lent_len = len;
}

bool rx_inbox_lending(BIO *bio) { return ((rx_inbox *)BIO_get_data(bio))->lent_len > 0; }

void rx_inbox_end_loan(BIO *bio) { end_loan(BIO_get_data(bio)); }

size_t rx_inbox_settle(BIO *bio) {
  rx_inbox *in = BIO_get_data(bio);
  end_loan(in);
  size_t lost = in->lost;
  in->lost = 0;
  return lost;
}
