/* sha256.h - SHA-256 (FIPS 180-4), for the digests of the data files a
 * scenario reads (recorded in an output's provenance). Streaming: init,
 * update any number of times, final. */
#ifndef RP_SHA256_H
#define RP_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t bytes; /* hashed so far */
    unsigned char block[64];
    size_t used; /* bytes of block filled */
} rp_sha256;

void rp_sha256_init(rp_sha256 *s);
void rp_sha256_update(rp_sha256 *s, const void *data, size_t len);
/* The digest as 64 lowercase hex digits and a NUL into hex[65]. */
void rp_sha256_final(rp_sha256 *s, char hex[65]);

#endif
