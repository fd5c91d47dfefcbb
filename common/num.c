#include "signet/num.h"

#include <stdlib.h>
#include <time.h>

static int digit_value(char c, unsigned base)
{
	int v = -1;
	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (base == 16 && c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (base == 16 && c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	return v;
}

int sg_parse_u64(const char *s, unsigned flags, uint64_t max, uint64_t *out)
{
	unsigned base = 10;
	if ((flags & SG_NUM_HEX) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1] != '\0') {
		return -1; /* a leading zero: octal to C, decimal to people */
	}
	if (!*s)
		return -1;
	uint64_t v = 0;
	for (; *s; s++) {
		int d = digit_value(*s, base);
		if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / base)
			return -1;
		v = v * base + (uint64_t)d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int sg_now(uint64_t *t, struct sg_err *err)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (!sde || !*sde) {
		*t = (uint64_t)time(NULL);
		return SG_OK;
	}
	if (sg_parse_u64(sde, 0, SG_TIME_MAX, t) != 0)
		return sg_errf(err, SG_EINPUT,
			       "SOURCE_DATE_EPOCH '%.40s': not a decimal number of seconds up to %llu",
			       sde, (unsigned long long)SG_TIME_MAX);
	return SG_OK;
}
