/* Base64 (RFC 4648 section 4, the standard alphabet, padded), as the C2SP
 * notes and signet's proof files write it. */
#ifndef SIGNET_BASE64_H
#define SIGNET_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters sg_base64_encode writes for len bytes, without the NUL. */
#define SG_BASE64_LEN(len) ((((len) + 2) / 3) * 4)

/* Encodes len bytes into out (SG_BASE64_LEN(len) + 1 bytes, NUL-terminated).
 * Returns out. */
char *sg_base64_encode(const uint8_t *in, size_t len, char *out);

/* Decodes exactly in_len characters of canonical base64 into out (at most
 * cap bytes) and sets *len. Strict: length a multiple of 4, padding only at
 * the end, unused bits zero, no whitespace, so every byte string has one
 * encoding. 0, or -1 for anything else (or cap too small). */
int sg_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *len);

#endif
