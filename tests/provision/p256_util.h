/* OpenSSL checks of the device protocol's P-256 signatures for the tests. */
#ifndef SIGNET_TEST_P256_UTIL_H
#define SIGNET_TEST_P256_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* 1 if sig (r || s) verifies over SHA-256(msg) with the uncompressed point pub. */
int p256_verify(const uint8_t *pub, const uint8_t *msg, size_t len, const uint8_t *sig);

#endif
