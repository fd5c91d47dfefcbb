/* One strict number parser for everything a user types or the environment
 * gives (options, SOURCE_DATE_EPOCH), so that "010", " 1", "-1" and "1e3"
 * mean the same thing, or are refused the same way, everywhere. */
#ifndef SIGNET_NUM_H
#define SIGNET_NUM_H

#include <stdint.h>

#include "signet/err.h"

/* flags for sg_parse_u64 */
#define SG_NUM_HEX 1u /* "0x" or "0X" followed by hex digits is accepted too */

/* The whole of s as an unsigned number no larger than max: decimal digits,
 * or (with SG_NUM_HEX) 0x and hex digits. No sign, no whitespace, no empty
 * string, no leading zero on a decimal ("010" is refused rather than read
 * as 8 or as 10), no overflow. 0, or -1 with *out untouched. */
int sg_parse_u64(const char *s, unsigned flags, uint64_t max, uint64_t *out);

/* The latest time an output may carry: 9999-12-31T23:59:59Z. */
#define SG_TIME_MAX 253402300799ULL

/* The time that goes into outputs: $SOURCE_DATE_EPOCH (decimal seconds,
 * at most SG_TIME_MAX) when set and not empty, else the clock. SG_EINPUT
 * naming the variable when it is malformed. */
int sg_now(uint64_t *t, struct sg_err *err);

#endif
