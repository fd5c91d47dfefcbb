#include "signet/base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *sg_base64_encode(const uint8_t *in, size_t len, char *out)
{
	char *o = out;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int sg_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;
	if (in_len % 4)
		return -1;
	for (size_t i = 0; i < in_len; i += 4) {
		int last = i + 4 == in_len;
		int pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=') : 0;
		uint32_t v = 0;
		for (int k = 0; k < 4 - pad; k++) {
			int s = sextet(in[i + k]);
			if (s < 0)
				return -1;
			v |= (uint32_t)s << (18 - 6 * k);
		}
		/* the bits below the last byte kept must be zero (one encoding) */
		if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
			return -1;
		if (n + 3 - (size_t)pad > cap)
			return -1;
		out[n++] = (uint8_t)(v >> 16);
		if (pad < 2)
			out[n++] = (uint8_t)(v >> 8);
		if (pad < 1)
			out[n++] = (uint8_t)v;
	}
	*len = n;
	return 0;
}
