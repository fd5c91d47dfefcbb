/* gdb: fixtures (provision/dbg_gdb.c) against a scripted GDB server on
 * loopback, for what QEMU never does: nacks and resends, bad checksums,
 * run-length encoded and escaped replies, E NN answers, console output,
 * no no-ack mode, a small PacketSize, silence, a server that goes away,
 * a refused Z0, register numbers from a target description with includes.
 * The server's framing and parsing are written here again, from the GDB
 * manual, rather than borrowed from the codec under test. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gdb_rsp.h"
#include "signet/dbg.h"

#define RAM 0x20000000u
#define RAM_SIZE 16384u
#define BAD_ADDR 0x30000000u

/* Register numbers the target description below gives (r0 at 40, xpsr at
 * 60 from a second annex): a client that numbers by position alone, or
 * ignores regnum or the includes, writes the wrong registers. */
enum { N_R0 = 40, N_SP = 44, N_LR = 45, N_PC = 46, N_XPSR = 60 };

/* Escaped on the wire ('*' '#' '$' '}'): a client that does not undo the
 * escapes counts the offsets of the next qXfer pieces wrong and loses
 * the registers after them. */
static const char core_xml[] =
	"<?xml version=\"1.0\"?><!-- **##$$}}**##$$}}**##$$}}**##$$}}**##$$}} -->"
	"<feature name=\"org.gnu.gdb.arm.m-profile\">"
	"<reg name=\"r0\" bitsize=\"32\" regnum=\"40\"/><reg name=\"r1\" bitsize=\"32\"/>"
	"<reg name=\"r2\" bitsize=\"32\"/><reg name=\"r3\" bitsize=\"32\"/>"
	"<reg name='sp' bitsize='32' type='data_ptr'/><reg name=\"lr\" bitsize=\"32\"/>"
	"<reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\"/></feature>";
static const char extra_xml[] =
	"<feature name=\"x\"><reg name=\"msp\" bitsize=\"32\" regnum=\"59\"/><reg name=\"xPSR\" bitsize=\"32\"/></feature>";
static const char target_xml[] =
	"<?xml version=\"1.0\"?><target><architecture>arm</architecture>"
	"<xi:include href=\"core.xml\"/><xi:include href=\"extra.xml\"/></target>";

struct fake {
	/* how it behaves */
	int offer_no_ack;
	unsigned packet_size;   /* announced; 0: none */
	int nack_each;          /* every packet is nacked once, then taken */
	int nack_all;           /* every packet is nacked, always */
	int bad_sum_each;       /* every reply goes out first with a bad checksum */
	int rle;                /* memory replies run-length encoded */
	int console;            /* an O packet before every reply */
	int silent_after;       /* packets answered, then silence (0: never silent) */
	int close_after;        /* packets answered, then the connection closed */
	int z0_refused;         /* Z0 answered "" (unsupported) */
	int run_ms;             /* 'c' stops at the breakpoint after this; -1 never */
	int stop_elsewhere;     /* 'c' stops at an address that is not the breakpoint */
	int big_comment;        /* core.xml begins with 9,000 escaped bytes */
	int stop_at_connect;    /* a stop reply sent unasked at connect, as QEMU may:
				 * 1 before the first packet's '+', 2 after it */
	/* what it saw */
	int packets, acks, nacks, interrupts, resends, max_payload, detached, no_ack;
	int bp_set, bp_kind;
	uint32_t bp;
	int noack_asked, supported;
	uint32_t regs[128];
	uint8_t ram[RAM_SIZE];
	/* plumbing */
	int lfd, fd, port, running;
	pthread_t thread;
	char last[40000]; /* the last reply, for a resend */
	size_t last_len;
	char nacked[1000]; /* the packet nack_each refused once */
};

static void put(struct fake *f, const void *b, size_t n)
{
	/* a client that went away is seen by the next read */
	(void)send(f->fd, b, n, MSG_NOSIGNAL);
}

/* Frames a reply: escapes with binary, run-length codes with rle. */
static void reply_raw(struct fake *f, const char *p, size_t n, int binary, int rle, int bad_sum)
{
	char *o = f->last;
	size_t k = 0;
	uint8_t sum = 0;

	o[k++] = '$';
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		size_t run = 1;
		if (binary && (c == '#' || c == '$' || c == '}' || c == '*')) {
			o[k++] = '}';
			c ^= 0x20;
		}
		o[k++] = c;
		while (rle && !binary && i + run < n && p[i + run] == c && run < 98)
			run++;
		/* n + 29 printable, not '#' or '$' (n = 6, 7) */
		if (run >= 4 && run - 1 != 6 && run - 1 != 7) {
			o[k++] = '*';
			o[k++] = (char)(run - 1 + 29);
			i += run - 1;
		}
	}
	for (size_t i = 1; i < k; i++)
		sum += (uint8_t)o[i];
	k += (size_t)sprintf(o + k, "#%02x", bad_sum ? (uint8_t)(sum + 1) : sum);
	if (f->console)
		put(f, "$O48690a#bb", 11); /* "Hi\n" */
	put(f, o, k);
	if (bad_sum) { /* the good one goes out on the client's '-' */
		sprintf(o + k - 2, "%02x", sum);
	}
	f->last_len = k;
}

static void reply(struct fake *f, const char *s)
{
	reply_raw(f, s, strlen(s), 0, 0, f->bad_sum_each);
}

static void replyf(struct fake *f, const char *fmt, ...)
{
	static char buf[40000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	reply(f, buf);
}

static void xfer(struct fake *f, const char *annex, unsigned off, unsigned len)
{
	const char *doc = !strcmp(annex, "target.xml") ? target_xml
			  : !strcmp(annex, "core.xml") ? core_xml
			  : !strcmp(annex, "extra.xml") ? extra_xml
							: NULL;
	static char buf[20000], big[20000];
	size_t n;

	if (f->big_comment && doc == core_xml) {
		/* 9,000 bytes that are all escaped on the wire */
		snprintf(big, sizeof big, "<!--%9000s-->%s", "", core_xml);
		for (size_t i = 4; i < 9004; i++)
			big[i] = '}';
		doc = big;
	}

	if (!doc)
		return reply(f, "E00");
	n = strlen(doc) > off ? strlen(doc) - off : 0;
	if (n > len)
		n = len;
	if (n > sizeof buf - 1)
		n = sizeof buf - 1;
	buf[0] = off + n < strlen(doc) ? 'm' : 'l';
	memcpy(buf + 1, doc + off, n);
	reply_raw(f, buf, n + 1, 1, 0, f->bad_sum_each);
}

static int in_ram(uint32_t a, uint32_t n)
{
	return a >= RAM && n <= RAM_SIZE && a - RAM <= RAM_SIZE - n;
}

static void mem(struct fake *f, const char *p)
{
	unsigned a, n;
	char hex[2 * RAM_SIZE + 1];

	if (sscanf(p + 1, "%x,%x", &a, &n) != 2 || !in_ram(a, n))
		return reply(f, "E01");
	if (p[0] == 'm') {
		for (unsigned i = 0; i < n; i++)
			sprintf(hex + 2 * i, "%02x", f->ram[a - RAM + i]);
		return reply_raw(f, hex, 2 * n, 0, f->rle, f->bad_sum_each);
	}
	const char *h = strchr(p, ':');
	for (unsigned i = 0; h && i < n; i++) {
		unsigned v;
		sscanf(h + 1 + 2 * i, "%2x", &v);
		f->ram[a - RAM + i] = (uint8_t)v;
	}
	reply(f, "OK");
}

static uint32_t le(const char *h)
{
	unsigned b[4] = {0};

	sscanf(h, "%2x%2x%2x%2x", &b[0], &b[1], &b[2], &b[3]);
	return b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24;
}

static void stop_reply(struct fake *f, int sig)
{
	f->running = 0;
	if (sig == 5) {
		/* the routine ran: r0 = r0 + r1, stopped at the breakpoint */
		f->regs[N_R0] += f->regs[N_R0 + 1];
		f->regs[N_PC] = f->stop_elsewhere ? 0x20000100 : f->bp;
	}
	replyf(f, "T%02xthread:01;", sig);
}

static void handle(struct fake *f, const char *p)
{
	unsigned a, b, n;

	if (!strncmp(p, "qSupported", 10)) {
		char s[200] = "qXfer:features:read+";
		f->supported++;
		if (f->stop_at_connect == 2)
			put(f, "$S05#b8", 7);
		if (f->packet_size)
			sprintf(s + strlen(s), ";PacketSize=%x", f->packet_size);
		if (f->offer_no_ack)
			strcat(s, ";QStartNoAckMode+");
		reply(f, s);
	} else if (!strcmp(p, "QStartNoAckMode")) {
		f->noack_asked = 1;
		reply(f, f->offer_no_ack ? "OK" : "");
		f->no_ack = f->offer_no_ack;
	} else if (!strcmp(p, "?"))
		reply(f, "S05");
	else if (!strncmp(p, "qXfer:features:read:", 20)) {
		char annex[64];
		if (sscanf(p + 20, "%63[^:]:%x,%x", annex, &a, &n) != 3)
			return reply(f, "E01");
		xfer(f, annex, a, n);
	} else if (p[0] == 'm' || p[0] == 'M')
		mem(f, p);
	else if (p[0] == 'p' && sscanf(p + 1, "%x", &n) == 1 && n < 128)
		replyf(f, "%02x%02x%02x%02x", f->regs[n] & 0xff, f->regs[n] >> 8 & 0xff, f->regs[n] >> 16 & 0xff,
		       f->regs[n] >> 24);
	else if (p[0] == 'P' && sscanf(p + 1, "%x=", &n) == 1 && n < 128) {
		f->regs[n] = le(strchr(p, '=') + 1);
		reply(f, "OK");
	} else if ((p[0] == 'Z' || p[0] == 'z') && sscanf(p + 1, "%u,%x,%x", &b, &a, &n) == 3) {
		if (b == 0 && f->z0_refused)
			return reply(f, "");
		f->bp_set = p[0] == 'Z';
		f->bp_kind = (int)b;
		f->bp = a;
		reply(f, "OK");
	} else if (!strcmp(p, "c")) {
		f->running = 1;
		if (f->run_ms >= 0) {
			usleep((useconds_t)f->run_ms * 1000);
			stop_reply(f, 5);
		}
	} else if (!strcmp(p, "D")) {
		f->detached = 1;
		reply(f, "OK");
	} else
		reply(f, "");
}

/* One byte from the client, or -1 when it has gone (or after 5 s). */
static int getc_client(struct fake *f)
{
	struct pollfd pf = {f->fd, POLLIN, 0};
	uint8_t c;

	if (poll(&pf, 1, 5000) <= 0 || recv(f->fd, &c, 1, 0) != 1)
		return -1;
	return c;
}

/* Takes one packet from the client ('+', '-' and 0x03 handled on the way). */
static int packet(struct fake *f, char *p, size_t cap)
{
	for (;;) {
		int c = getc_client(f), sum = 0;
		size_t n = 0;
		unsigned want;
		char cs[3] = {0};
		if (c < 0)
			return -1;
		if (c == '+')
			f->acks++;
		else if (c == '-') {
			f->nacks++;
			put(f, f->last, f->last_len);
		} else if (c == 3) {
			f->interrupts++;
			if (f->running)
				stop_reply(f, 2);
		}
		if (c != '$')
			continue;
		while ((c = getc_client(f)) >= 0 && c != '#' && n + 1 < cap)
			p[n++] = (char)c, sum += c;
		p[n] = 0;
		if (c < 0 || (c = getc_client(f)) < 0 || (cs[0] = (char)c, c = getc_client(f)) < 0)
			return -1;
		cs[1] = (char)c;
		sscanf(cs, "%x", &want);
		if (want != (unsigned)(sum & 0xff)) {
			put(f, "-", 1);
			continue;
		}
		if ((int)n > f->max_payload)
			f->max_payload = (int)n;
		if (f->nack_all || (f->nack_each && strncmp(p, f->nacked, sizeof f->nacked - 1) != 0)) {
			/* remembered, so that its resend is taken */
			snprintf(f->nacked, sizeof f->nacked, "%.999s", p);
			f->resends++;
			put(f, "-", 1);
			continue;
		}
		f->nacked[0] = 0;
		if (!f->no_ack)
			put(f, "+", 1);
		return 0;
	}
}

static void *serve(void *arg)
{
	struct fake *f = arg;
	static char p[40000];

	f->fd = accept(f->lfd, NULL, NULL);
	/* a reply often follows its '+' in a second send: no Nagle wait */
	setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	if (f->stop_at_connect == 1)
		put(f, "$S05#b8", 7);
	while (f->fd >= 0 && packet(f, p, sizeof p) == 0) {
		f->packets++;
		if (f->close_after && f->packets > f->close_after)
			break;
		if (f->silent_after && f->packets > f->silent_after)
			continue;
		handle(f, p);
		if (f->detached)
			break;
	}
	if (f->fd >= 0)
		close(f->fd);
	return NULL;
}

/* One server at a time; it stays readable after fake_end. */
static struct fake *fake_start(void)
{
	static struct fake the_fake;
	struct fake *f = &the_fake;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;

	memset(f, 0, sizeof *f);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	getsockname(f->lfd, (struct sockaddr *)&sa, &len);
	f->port = ntohs(sa.sin_port);
	f->offer_no_ack = 1;
	f->packet_size = 0x1000;
	return f;
}

static int fake_open(struct fake *f, int timeout_ms, struct sg_dbg **d, struct sg_err *err)
{
	char spec[64];

	snprintf(spec, sizeof spec, "gdb:127.0.0.1:%d", f->port);
	assert_int_equal(pthread_create(&f->thread, NULL, serve, f), 0);
	return sg_dbg_open(spec, timeout_ms, d, err);
}

static void fake_end(struct fake *f, struct sg_dbg *d)
{
	sg_dbg_close(d);
	pthread_join(f->thread, NULL);
	close(f->lfd);
}

static long long ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 4 KiB written and read back, with runs (for RLE) and every byte value. */
static void mem_round_trip(struct sg_dbg *d)
{
	static uint8_t out[4096], back[4096];
	struct sg_err err = {0};

	for (size_t i = 0; i < sizeof out; i++)
		out[i] = i < 1024 ? 0 : i < 2048 ? (uint8_t)i : (uint8_t)(i / 64);
	assert_int_equal(d->ops->write(d, RAM + 0x1000, out, sizeof out, &err), SG_OK);
	memset(back, 0x55, sizeof back);
	assert_int_equal(d->ops->read(d, RAM + 0x1000, back, sizeof back, &err), SG_OK);
	assert_memory_equal(back, out, sizeof out);
}

/* A call: the registers by the description's numbers, the Thumb bit,
 * lr = stop | 1, the breakpoint set and removed, r0 read back. */
static void call_ok(struct fake *f, struct sg_dbg *d)
{
	struct sg_dbg_call c = {.entry = 0x20000001, .stop = 0x20000036, .sp = 0x20004000, .r = {5, 7, 9, 11}};
	struct sg_err err = {0};
	uint32_t r0 = 0;

	f->regs[N_XPSR] = 0x00000003; /* T clear, as after an empty vector table */
	assert_int_equal(d->ops->call(d, &c, 1000, &r0, &err), SG_OK);
	assert_int_equal(r0, 12);
	assert_int_equal(f->regs[N_R0 + 2], 9);
	assert_int_equal(f->regs[N_R0 + 3], 11);
	assert_int_equal(f->regs[N_SP], 0x20004000);
	assert_int_equal(f->regs[N_LR], 0x20000037);
	assert_int_equal(f->regs[N_XPSR], 0x01000003);
	assert_int_equal(f->bp, 0x20000036);
	assert_int_equal(f->bp_set, 0);
}

static void basics(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};

	(void)state;
	f->stop_at_connect = 2;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	assert_true(f->no_ack);
	mem_round_trip(d);
	call_ok(f, d);
	assert_int_equal(f->bp_kind, 0);
	assert_int_equal(d->ops->halt(d, &err), SG_OK); /* halted already: nothing sent */
	assert_int_equal(f->interrupts, 0);
	fake_end(f, d);
	assert_int_equal(f->detached, 1);
	assert_true(f->max_payload <= 0x1000);
}

/* Without QStartNoAckMode+ the client never asks for it and acks every reply. */
static void acks_without_no_ack_mode(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};
	int replies;

	(void)state;
	f->offer_no_ack = 0;
	f->stop_at_connect = 1;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	mem_round_trip(d);
	call_ok(f, d);
	assert_int_equal(f->nacks, 0);
	/* the stop reply before qSupported's '+' was taken as such, not as a refusal */
	assert_int_equal(f->supported, 1);
	replies = f->packets;
	fake_end(f, d);
	assert_false(f->noack_asked);
	/* every reply acked (the stop reply to 'c' too; the detach's is the last) */
	assert_true(f->acks >= replies);
}

static void nacked_packets_are_sent_again(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};

	(void)state;
	f->offer_no_ack = 0;
	f->nack_each = 1;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	mem_round_trip(d);
	call_ok(f, d);
	assert_int_equal(f->resends, f->packets);
	fake_end(f, d);
}

static void nacks_forever_fail_the_link(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};
	long long t0 = ms();

	(void)state;
	f->offer_no_ack = 0;
	f->nack_all = 1;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_EENV);
	assert_null(d);
	assert_non_null(strstr(err.msg, "refused"));
	assert_true(ms() - t0 < 1000);
	assert_int_equal(f->resends, 4); /* sent once and again three times */
	fake_end(f, NULL);
}

static void bad_checksums_are_nacked(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};

	(void)state;
	f->offer_no_ack = 0;
	f->bad_sum_each = 1;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	mem_round_trip(d);
	call_ok(f, d);
	assert_int_equal(f->nacks, f->packets);
	fake_end(f, d);
}

/* In no-ack mode nothing can be asked again: a corrupt packet ends the link. */
static void bad_checksum_in_no_ack_mode(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};
	uint8_t b[8];

	(void)state;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	f->bad_sum_each = 1;
	assert_int_equal(d->ops->read(d, RAM, b, sizeof b, &err), SG_EENV);
	assert_non_null(strstr(err.msg, "bad checksums"));
	assert_int_equal(d->ops->read(d, RAM, b, sizeof b, &err), SG_EENV);
	assert_non_null(strstr(err.msg, "lost earlier"));
	fake_end(f, d);
}

static void run_length_encoded_replies(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};

	(void)state;
	f->rle = 1;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	mem_round_trip(d);
	fake_end(f, d);
}

static void error_replies_name_the_address(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};
	uint8_t b[8] = {0};

	(void)state;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	assert_int_equal(d->ops->read(d, BAD_ADDR, b, sizeof b, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "reading 0x30000000"));
	assert_non_null(strstr(err.msg, "E01"));
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(d->ops->write(d, BAD_ADDR + 8, b, sizeof b, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "writing 0x30000008"));
	/* the target refused; the link is fine */
	mem_round_trip(d);
	/* a run that starts in RAM and ends outside it fails at the first bad chunk */
	assert_int_equal(d->ops->write(d, RAM + RAM_SIZE - 4, b, sizeof b, &err), SG_FAIL);
	fake_end(f, d);
}

static void console_output_is_ignored(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};

	(void)state;
	f->console = 1;
	f->offer_no_ack = 0;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	mem_round_trip(d);
	call_ok(f, d);
	/* no corrupt packet on the way: the client took every O packet */
	assert_int_equal(f->nacks, 0);
	fake_end(f, d);
}

/* PacketSize bounds every packet (memory and qXfer in pieces). */
static void small_packet_size(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};

	(void)state;
	f->packet_size = 0x40;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	mem_round_trip(d);
	call_ok(f, d);
	assert_true(f->max_payload <= 0x40);
	fake_end(f, d);
}

/* A large PacketSize, a description mostly escaped bytes: the pieces asked
 * for are small enough that, escaped, they still fit what the client takes. */
static void large_packet_size_escaped_description(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};

	(void)state;
	f->packet_size = 0x10000;
	f->big_comment = 1;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	call_ok(f, d);
	mem_round_trip(d);
	fake_end(f, d);
}

static void silence_times_out(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};
	uint8_t b[8];
	long long t0;

	(void)state;
	f->silent_after = 3; /* qSupported, QStartNoAckMode, ? */
	assert_int_equal(fake_open(f, 300, &d, &err), SG_OK);
	t0 = ms();
	assert_int_equal(d->ops->read(d, RAM, b, sizeof b, &err), SG_EENV);
	assert_true(ms() - t0 >= 250 && ms() - t0 < 1000);
	assert_non_null(strstr(err.msg, "no answer"));
	assert_non_null(strstr(err.msg, "gdb:127.0.0.1:"));
	t0 = ms();
	assert_int_equal(d->ops->write(d, RAM, b, sizeof b, &err), SG_EENV);
	assert_true(ms() - t0 < 100);
	fake_end(f, d);
	assert_int_equal(f->detached, 0);
}

static void server_that_goes_away(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};
	uint8_t b[8];
	char want[80];

	(void)state;
	f->close_after = 4;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	assert_int_equal(d->ops->read(d, RAM, b, sizeof b, &err), SG_OK);
	assert_int_equal(d->ops->read(d, RAM, b, sizeof b, &err), SG_EENV);
	snprintf(want, sizeof want, "gdb:127.0.0.1:%d: the server closed the connection", f->port);
	assert_string_equal(err.msg, want);
	fake_end(f, d);
}

/* The routine never reaches its breakpoint: 0x03 halts it, SG_EENV. */
static void call_timeout_halts(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};
	struct sg_dbg_call c = {.entry = 0x20000000, .stop = 0x20000036, .sp = 0x20004000};
	uint32_t r0;
	long long t0;

	(void)state;
	f->run_ms = -1;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	t0 = ms();
	assert_int_equal(d->ops->call(d, &c, 200, &r0, &err), SG_EENV);
	assert_true(ms() - t0 >= 200 && ms() - t0 < 1500);
	assert_non_null(strstr(err.msg, "did not reach 0x20000036 within 200 ms"));
	assert_int_equal(f->interrupts, 1);
	assert_int_equal(f->bp_set, 0);
	/* halted: the link still works */
	mem_round_trip(d);
	fake_end(f, d);
}

/* A routine that stops somewhere else (a fault) is the target's "no". */
static void call_stops_elsewhere(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};
	struct sg_dbg_call c = {.entry = 0x20000000, .stop = 0x20000036, .sp = 0x20004000};
	uint32_t r0;

	(void)state;
	f->stop_elsewhere = 1;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	assert_int_equal(d->ops->call(d, &c, 500, &r0, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "stopped at 0x20000100"));
	assert_int_equal(f->bp_set, 0);
	fake_end(f, d);
}

static void z0_refused_uses_z1(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};

	(void)state;
	f->z0_refused = 1;
	f->run_ms = 20;
	assert_int_equal(fake_open(f, 2000, &d, &err), SG_OK);
	call_ok(f, d);
	assert_int_equal(f->bp_kind, 1);
	fake_end(f, d);
}

static void unreachable_and_bad_specs(void **state)
{
	struct fake *f = fake_start();
	struct sg_dbg *d = NULL;
	struct sg_err err = {0};
	char spec[64];

	(void)state;
	snprintf(spec, sizeof spec, "gdb:127.0.0.1:%d", f->port);
	close(f->lfd); /* nobody listens there now */
	assert_int_equal(sg_dbg_open(spec, 500, &d, &err), SG_EENV);
	assert_null(d);
	assert_non_null(strstr(err.msg, spec));
	/* what the address resolver says, about the fixture as given */
	assert_int_equal(sg_dbg_open("gdb:127.0.0.1:notaport", 500, &d, &err), SG_EENV);
	assert_memory_equal(err.msg, "gdb:127.0.0.1:notaport: ", 24);
	assert_int_equal(sg_dbg_open("gdb:nohost", 500, &d, &err), SG_EINPUT);
	assert_string_equal(err.msg, "gdb:nohost: not gdb:HOST:PORT");
	assert_int_equal(sg_dbg_open("tcp:127.0.0.1:1", 500, &d, &err), SG_EINPUT);
}

/* The codec alone: run-length codes, escapes, stop replies, qSupported. */
static void codec(void **state)
{
	struct rsp_rx rx;
	struct rsp_features ft;
	const char *in = "+$0* 1*!#", *p;
	uint8_t sum = 0, frame[64];
	int sig;
	char cs[3];

	(void)state;
	rsp_rx_init(&rx);
	for (p = in + 2; *p != '#'; p++)
		sum += (uint8_t)*p;
	snprintf(cs, sizeof cs, "%02x", sum);
	assert_int_equal(rsp_rx_feed(&rx, '+'), RSP_ACK);
	for (p = in + 1; *p; p++)
		assert_int_equal(rsp_rx_feed(&rx, (uint8_t)*p), RSP_MORE);
	assert_int_equal(rsp_rx_feed(&rx, (uint8_t)cs[0]), RSP_MORE);
	assert_int_equal(rsp_rx_feed(&rx, (uint8_t)cs[1]), RSP_PACKET);
	assert_string_equal((char *)rx.buf, "000011111");
	/* '*' first, a count below one: refused */
	for (p = "$*!#00"; *p; p++)
		sig = rsp_rx_feed(&rx, (uint8_t)*p);
	assert_int_equal(sig, RSP_BAD_RLE);
	/* a frame with every escaped byte comes back whole */
	size_t n = rsp_frame((const uint8_t *)"a#b$c}d*", 8, frame, sizeof frame);
	assert_int_equal(n, 1 + 12 + 3);
	for (size_t i = 0; i < n; i++)
		sig = rsp_rx_feed(&rx, frame[i]);
	assert_int_equal(sig, RSP_PACKET);
	assert_int_equal(rsp_unescape(rx.buf, rx.len), 8);
	assert_memory_equal(rx.buf, "a#b$c}d*", 8);
	assert_int_equal(rsp_parse_stop((const uint8_t *)"T05thread:1;", 12, &sig), RSP_STOP_SIGNAL);
	assert_int_equal(sig, 5);
	assert_int_equal(rsp_parse_stop((const uint8_t *)"W00", 3, &sig), RSP_STOP_EXITED);
	assert_int_equal(rsp_parse_stop((const uint8_t *)"OK", 2, &sig), RSP_STOP_NONE);
	assert_int_equal(rsp_is_console((const uint8_t *)"OK", 2), 0);
	rsp_parse_supported((const uint8_t *)"PacketSize=3fff;QStartNoAckMode+;qXfer:features:read+", 53, &ft);
	assert_int_equal(ft.packet_size, 0x3fff);
	assert_true(ft.no_ack && ft.xfer_features);
	rsp_parse_supported((const uint8_t *)"QStartNoAckMode-", 16, &ft);
	assert_false(ft.no_ack);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(codec),
		cmocka_unit_test(basics),
		cmocka_unit_test(acks_without_no_ack_mode),
		cmocka_unit_test(nacked_packets_are_sent_again),
		cmocka_unit_test(nacks_forever_fail_the_link),
		cmocka_unit_test(bad_checksums_are_nacked),
		cmocka_unit_test(bad_checksum_in_no_ack_mode),
		cmocka_unit_test(run_length_encoded_replies),
		cmocka_unit_test(error_replies_name_the_address),
		cmocka_unit_test(console_output_is_ignored),
		cmocka_unit_test(small_packet_size),
		cmocka_unit_test(large_packet_size_escaped_description),
		cmocka_unit_test(silence_times_out),
		cmocka_unit_test(server_that_goes_away),
		cmocka_unit_test(call_timeout_halts),
		cmocka_unit_test(call_stops_elsewhere),
		cmocka_unit_test(z0_refused_uses_z1),
		cmocka_unit_test(unreachable_and_bad_specs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
