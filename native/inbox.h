/*
 * The read BIO every engine reads ciphertext from (inbox.c): a memory BIO that can also lend.
 * Bytes written to it are copied and kept, as BIO_s_mem keeps them; bytes lent to it are read in
 * place until rx_inbox_settle(), which copies what OpenSSL has not read yet (see
 * docs/architecture.md, The fused path). It keeps no memory while empty.
 */
#ifndef RXTLS_INBOX_H
#define RXTLS_INBOX_H

#include <openssl/bio.h>
#include <stdbool.h>
#include <stddef.h>

/* A new inbox BIO, or NULL (out of memory). BIO_set_mem_eof_return(bio, 0) marks the end, as on
 * a memory BIO; BIO_write appends; BIO_ctrl_pending counts kept and lent bytes. */
BIO *rx_inbox_new(void);
/* Lends `len` bytes at `data`, read after what the inbox keeps; they must stay valid until
 * rx_inbox_settle(). Nothing may be lent while a lending is in progress. */
void rx_inbox_lend(BIO *bio, const char *data, size_t len);
/* Whether bytes are lent now (a lending in progress). */
bool rx_inbox_lending(BIO *bio);
/* Ends a lending: copies the lent bytes not read yet. Answers how many bytes of this loan, or of
 * a loan a write or rx_inbox_end_loan ended before, could not be copied for want of memory (0:
 * all kept); those are not in the inbox. */
size_t rx_inbox_settle(BIO *bio);
/* Ends a lending as settle does, leaving a loss for the next settle to report. */
void rx_inbox_end_loan(BIO *bio);

#endif
