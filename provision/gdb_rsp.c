/* The GDB remote serial protocol's packet codec: see gdb_rsp.h. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "gdb_rsp.h"

enum { OUTSIDE, PAYLOAD, CHECKSUM };

/* The most annexes one target description may pull in (QEMU's M-profile
 * target.xml includes two). */
#define RSP_MAX_INCLUDES 8

static const char hexdigits[] = "0123456789abcdef";

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t rsp_frame(const uint8_t *payload, size_t n, uint8_t *out, size_t cap)
{
	size_t o = 0;
	uint8_t sum = 0;

	if (cap < 4)
		return 0;
	out[o++] = '$';
	for (size_t i = 0; i < n; i++) {
		uint8_t c = payload[i];
		int esc = c == '$' || c == '#' || c == '}' || c == '*';
		if (o + (esc ? 2 : 1) + 3 > cap)
			return 0;
		if (esc) {
			out[o++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		out[o++] = c;
		sum += c;
	}
	out[o++] = '#';
	out[o++] = (uint8_t)hexdigits[sum >> 4];
	out[o++] = (uint8_t)hexdigits[sum & 15];
	return o;
}

void rsp_rx_init(struct rsp_rx *rx)
{
	memset(rx, 0, offsetof(struct rsp_rx, buf));
	rx->buf[0] = 0;
}

static void rx_start(struct rsp_rx *rx)
{
	rx->state = PAYLOAD;
	rx->sum = 0;
	rx->len = 0;
	rx->rle_pending = 0;
	rx->broken = 0;
}

/* One payload byte: stored, or the count of a run of the last one. */
static void rx_payload(struct rsp_rx *rx, uint8_t c)
{
	rx->sum += c;
	if (rx->broken)
		return;
	if (rx->rle_pending) {
		/* GDB's read_frame: c - 29 more copies, 1 to 255 of them. */
		int count = c - 29;
		rx->rle_pending = 0;
		if (rx->len == 0 || count < 1 || count > 255)
			rx->broken = RSP_BAD_RLE;
		else if (rx->len + (size_t)count > RSP_MAX_PAYLOAD)
			rx->broken = RSP_TOO_LONG;
		else {
			memset(rx->buf + rx->len, rx->buf[rx->len - 1], (size_t)count);
			rx->len += (size_t)count;
		}
		return;
	}
	if (c == '*') {
		rx->rle_pending = 1;
		return;
	}
	if (rx->len == RSP_MAX_PAYLOAD)
		rx->broken = RSP_TOO_LONG;
	else
		rx->buf[rx->len++] = c;
}

enum rsp_event rsp_rx_feed(struct rsp_rx *rx, uint8_t c)
{
	switch (rx->state) {
	case OUTSIDE:
		if (c == '$')
			rx_start(rx);
		return c == '+' ? RSP_ACK : c == '-' ? RSP_NACK : RSP_MORE;
	case PAYLOAD:
		if (c == '$')
			rx_start(rx);
		else if (c == '#') {
			rx->state = CHECKSUM;
			rx->digits = 0;
			rx->want = 0;
			if (rx->rle_pending && !rx->broken)
				rx->broken = RSP_BAD_RLE;
		} else
			rx_payload(rx, c);
		return RSP_MORE;
	default: {
		int v = hexval(c);
		if (v < 0)
			rx->broken = rx->broken ? rx->broken : RSP_BAD_SUM;
		rx->want = (uint8_t)(rx->want << 4 | (v < 0 ? 0 : v));
		if (++rx->digits < 2)
			return RSP_MORE;
		rx->state = OUTSIDE;
		if (rx->broken)
			return (enum rsp_event)rx->broken;
		if (rx->want != rx->sum)
			return RSP_BAD_SUM;
		rx->buf[rx->len] = 0;
		return RSP_PACKET;
	}
	}
}

size_t rsp_unescape(uint8_t *buf, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++)
		buf[o++] = buf[i] == '}' && i + 1 < n ? buf[++i] ^ 0x20 : buf[i];
	return o;
}

int rsp_hex_decode(const uint8_t *hex, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int rsp_reg_value(const uint8_t *p, size_t n, uint32_t *v)
{
	uint8_t b[4];

	if (n != 8 || rsp_hex_decode(p, 4, b) != 0)
		return -1;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

int rsp_is_error(const uint8_t *p, size_t n, int *code)
{
	if (n == 3 && p[0] == 'E' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
		*code = hexval(p[1]) << 4 | hexval(p[2]);
		return 1;
	}
	if (n >= 2 && p[0] == 'E' && p[1] == '.') {
		*code = -1;
		return 1;
	}
	return 0;
}

int rsp_is_console(const uint8_t *p, size_t n)
{
	if (n < 3 || p[0] != 'O' || (n - 1) % 2)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (hexval(p[i]) < 0)
			return 0;
	return 1;
}

enum rsp_stop rsp_parse_stop(const uint8_t *p, size_t n, int *signal)
{
	if (n < 3 || hexval(p[1]) < 0 || hexval(p[2]) < 0)
		return RSP_STOP_NONE;
	// NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): both digits tested above
	*signal = hexval(p[1]) << 4 | hexval(p[2]);
	if (p[0] == 'S' || p[0] == 'T')
		return n == 3 || p[0] == 'T' ? RSP_STOP_SIGNAL : RSP_STOP_NONE;
	if (p[0] == 'W' || p[0] == 'X')
		return RSP_STOP_EXITED;
	return RSP_STOP_NONE;
}

void rsp_parse_supported(const uint8_t *p, size_t n, struct rsp_features *f)
{
	size_t i = 0;

	memset(f, 0, sizeof *f);
	while (i < n) {
		size_t j = i;
		while (j < n && p[j] != ';')
			j++;
		const char *item = (const char *)p + i;
		size_t len = j - i;
		if (len > 11 && !memcmp(item, "PacketSize=", 11)) {
			unsigned long v = 0;
			size_t k = 11;
			for (; k < len && hexval(p[i + k]) >= 0 && v < 0x1000000; k++)
				v = v << 4 | (unsigned long)hexval(p[i + k]);
			f->packet_size = k == len ? v : 0;
		} else if (len == 16 && !memcmp(item, "QStartNoAckMode+", 16))
			f->no_ack = 1;
		else if (len == 20 && !memcmp(item, "qXfer:features:read+", 20))
			f->xfer_features = 1;
		i = j + 1;
	}
}

void rsp_regs_init(struct rsp_regs *r)
{
	for (int i = 0; i < RSP_NREGS; i++)
		r->num[i] = -1;
	r->next = 0;
	r->includes = 0;
}

static const char *const reg_names[RSP_NREGS] = {"r0", "r1", "r2", "r3", "sp", "lr", "pc", "xpsr"};

static void reg_found(struct rsp_regs *r, const char *name, int num)
{
	for (int i = 0; i < RSP_NREGS; i++)
		if (!strcasecmp(name, reg_names[i]) && r->num[i] < 0)
			r->num[i] = num;
	/* A-profile descriptions and some M-profile servers call it cpsr. */
	if (!strcasecmp(name, "cpsr") && r->num[RSP_XPSR] < 0)
		r->num[RSP_XPSR] = num;
}

/* The attributes of one element that matter here. */
struct xml_tag {
	char name[32], reg[32], href[128], regnum[12];
};

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = 0;
}

/* Parses the element at s (just after '<') up to its '>', within end.
 * Returns where parsing goes on. */
static const char *xml_tag(const char *s, const char *end, struct xml_tag *t)
{
	const char *p = s;

	memset(t, 0, sizeof *t);
	while (p < end && !isspace((unsigned char)*p) && *p != '>' && *p != '/')
		p++;
	copy_value(t->name, sizeof t->name, s, (size_t)(p - s));
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end || *p == '>' || *p == '/')
			break;
		const char *a = p;
		while (p < end && *p != '=' && *p != '>' && !isspace((unsigned char)*p))
			p++;
		size_t an = (size_t)(p - a);
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end || *p != '=')
			continue;
		p++;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end || (*p != '"' && *p != '\''))
			continue;
		char q = *p++;
		const char *v = p;
		while (p < end && *p != q)
			p++;
		if (an == 4 && !memcmp(a, "name", 4))
			copy_value(t->reg, sizeof t->reg, v, (size_t)(p - v));
		else if (an == 4 && !memcmp(a, "href", 4))
			copy_value(t->href, sizeof t->href, v, (size_t)(p - v));
		else if (an == 6 && !memcmp(a, "regnum", 6))
			copy_value(t->regnum, sizeof t->regnum, v, (size_t)(p - v));
		if (p < end)
			p++;
	}
	while (p < end && *p != '>')
		p++;
	return p;
}

static int regnum_value(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || (v = v * 10 + (*s - '0')) > 65535)
			return -1;
	}
	return (int)v;
}

int rsp_parse_xml(const char *xml, size_t n, struct rsp_regs *r,
		  int (*include)(void *ctx, const char *href), void *ctx)
{
	const char *p = xml, *end = xml + n;
	struct xml_tag t;

	while (p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		p++;
		if (end - p >= 3 && !memcmp(p, "!--", 3)) {
			/* a comment: skip to its end */
			const char *q = p + 3;
			while (q + 2 < end && memcmp(q, "-->", 3))
				q++;
			p = q;
			continue;
		}
		p = xml_tag(p, end, &t);
		if (!strcmp(t.name, "reg") && t.reg[0]) {
			int num = regnum_value(t.regnum);
			if (num < 0)
				num = r->next;
			reg_found(r, t.reg, num);
			r->next = num + 1;
		} else if (!strcmp(t.name, "xi:include") && t.href[0]) {
			if (++r->includes > RSP_MAX_INCLUDES)
				return -1;
			int rc = include(ctx, t.href);
			if (rc)
				return rc;
		}
	}
	return 0;
}
