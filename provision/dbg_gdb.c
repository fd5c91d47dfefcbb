/* gdb:HOST:PORT: a chip behind a GDB server (J-Link GDB Server, OpenOCD,
 * pyOCD, Black Magic Probe, QEMU's gdbstub), over the remote serial
 * protocol (gdb_rsp.c frames and parses it). See signet/dbg.h for the
 * contract and docs/fixture-gdb.md for what each server needs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdb_rsp.h"
#include "signet/dbg.h"
#include "signet/fileio.h"
#include "transport_priv.h"

/* The most memory in one m or M packet, whatever the PacketSize: a bound
 * that stubs with buffers smaller than they announce still take (QEMU 7.2
 * takes 2 KiB), at the cost of one more round trip (0.1 ms on localhost)
 * per KiB. */
#define MEM_CHUNK_MAX 1024
/* What GDB assumes when a server does not say its PacketSize. */
#define DEFAULT_PACKET_SIZE 400
/* Resends of one packet the server nacked, and nacks of bad packets we
 * send, before the link is called broken. */
#define MAX_RETRIES 3
/* The largest target description (all its annexes together). */
#define MAX_XML 65536
/* xPSR's Thumb bit: a core with an empty vector table may have it clear. */
#define XPSR_T 0x01000000u

struct gdb {
	struct sg_dbg base;
	struct sg_transport *t;
	int timeout_ms;
	int no_ack;
	int dead;      /* the link failed: every call fails at once */
	int running;   /* a 'c' is out and its stop reply has not come */
	int bp_kind;   /* 0: Z0 works, 1: only Z1 does, -1: not tried yet */
	int regs_known;
	size_t packet_size, mem_chunk;
	struct rsp_features features;
	struct rsp_regs regs;
	size_t xml_len;
	char *xml; /* a target description being read (MAX_XML) */
	uint8_t in[4096];
	size_t in_len, in_pos;
	struct rsp_rx rx;
	char cmd[RSP_MAX_PAYLOAD + 1];
	uint8_t out[2 * RSP_MAX_PAYLOAD + 8];
};

enum { RECV_OK = 0, RECV_TIMEOUT = -1 };

static const char *const reg_labels[RSP_NREGS] = {"r0", "r1", "r2", "r3", "sp", "lr", "pc", "xpsr"};

/* The link is broken: this and every later call fails with SG_EENV. */
static int link_fail(struct gdb *g, struct sg_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int link_fail(struct gdb *g, struct sg_err *err, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	g->dead = 1;
	return sg_errf(err, SG_EENV, "%s: %s", g->base.name, why);
}

/* The transport's failure, in the words of this fixture. */
static int transport_fail(struct gdb *g, struct sg_err *err)
{
	const char *why = err && strstr(err->msg, "closed the connection") ? "the server closed the connection"
									 : NULL;

	if (why || !err)
		return link_fail(g, err, "%s", why ? why : "the connection failed");
	g->dead = 1;
	return SG_EENV;
}

static int send_raw(struct gdb *g, const void *buf, size_t n, struct sg_err *err)
{
	if (sg_transport_write(g->t, buf, n, g->timeout_ms, err) != SG_OK)
		return transport_fail(g, err);
	return SG_OK;
}

/* The next byte from the server before deadline: *c is -1 on a timeout. */
static int next_byte(struct gdb *g, long long deadline, int *c, struct sg_err *err)
{
	if (g->in_pos == g->in_len) {
		long long left = deadline - now_ms();
		size_t got = 0;
		g->in_pos = g->in_len = 0;
		if (left > 0 && sg_transport_read(g->t, g->in, sizeof g->in, (int)left, &got, err) != SG_OK)
			return transport_fail(g, err);
		if (!got) {
			*c = -1;
			return SG_OK;
		}
		g->in_len = got;
	}
	*c = g->in[g->in_pos++];
	return SG_OK;
}

/* The next packet, '+' or '-' from the server before deadline (*ev says
 * which): RECV_OK with a packet's payload in g->rx, RECV_TIMEOUT, or
 * SG_EENV. Packets are acknowledged, and corrupt ones nacked, unless in
 * no-ack mode. A deadline passed is a timeout even while bytes keep
 * coming (a server that only prints). */
static int recv_event(struct gdb *g, long long deadline, enum rsp_event *ev, struct sg_err *err)
{
	int c = -1, rc, nacks = 0;

	for (;;) {
		if ((rc = next_byte(g, deadline, &c, err)) != SG_OK)
			return rc;
		if (c < 0)
			return RECV_TIMEOUT;
		*ev = rsp_rx_feed(&g->rx, (uint8_t)c);
		switch (*ev) {
		case RSP_MORE:
			continue;
		case RSP_ACK:
		case RSP_NACK:
			return RECV_OK;
		case RSP_PACKET:
			if (!g->no_ack && (rc = send_raw(g, "+", 1, err)) != SG_OK)
				return rc;
			return RECV_OK;
		default:
			if (g->no_ack || ++nacks > MAX_RETRIES)
				return link_fail(g, err, "%s from the server",
						 *ev == RSP_BAD_SUM   ? "packets with bad checksums"
						 : *ev == RSP_BAD_RLE ? "a malformed run-length code"
								      : "a packet too long");
			if ((rc = send_raw(g, "-", 1, err)) != SG_OK)
				return rc;
		}
	}
}

/* The next packet: acks left over are skipped. */
static int recv_packet(struct gdb *g, long long deadline, struct sg_err *err)
{
	enum rsp_event ev;
	int rc;

	do
		rc = recv_event(g, deadline, &ev, err);
	while (rc == RECV_OK && ev != RSP_PACKET);
	return rc;
}

/* Sends one packet and, unless in no-ack mode, waits for its '+' (a '-'
 * sends it again, a bounded number of times). */
static int send_packet(struct gdb *g, const char *what, struct sg_err *err)
{
	size_t n = rsp_frame((const uint8_t *)g->cmd, strlen(g->cmd), g->out, sizeof g->out);
	long long deadline = now_ms() + g->timeout_ms;
	enum rsp_event ev;
	int rc, sends = 0;

	if (!n)
		return link_fail(g, err, "%s: the packet does not fit", what);
	for (;;) {
		if ((rc = send_raw(g, g->out, n, err)) != SG_OK)
			return rc;
		if (g->no_ack)
			return SG_OK;
		sends++;
		do
			rc = recv_event(g, deadline, &ev, err);
		while (rc == RECV_OK && ev == RSP_PACKET); /* a stale stop reply */
		if (rc == RECV_TIMEOUT)
			return link_fail(g, err, "no acknowledgement of %s within %d ms", what, g->timeout_ms);
		if (rc != RECV_OK)
			return rc;
		if (ev == RSP_ACK)
			return SG_OK;
		if (sends > MAX_RETRIES)
			return link_fail(g, err, "%s was refused %d times (bad checksum)", what, sends);
	}
}

/* Sends g->cmd and waits for its reply (in g->rx), skipping console
 * output and stop replies nobody asked for. */
static int transact(struct gdb *g, const char *what, struct sg_err *err)
{
	long long deadline;
	int rc, sig;

	if (g->dead)
		return sg_errf(err, SG_EENV, "%s: the connection was lost earlier", g->base.name);
	if ((rc = send_packet(g, what, err)) != SG_OK)
		return rc;
	deadline = now_ms() + g->timeout_ms;
	for (;;) {
		rc = recv_packet(g, deadline, err);
		if (rc == RECV_TIMEOUT)
			return link_fail(g, err, "no answer to %s within %d ms", what, g->timeout_ms);
		if (rc != RECV_OK)
			return rc;
		if (!rsp_is_console(g->rx.buf, g->rx.len) &&
		    rsp_parse_stop(g->rx.buf, g->rx.len, &sig) == RSP_STOP_NONE)
			return SG_OK;
	}
}

static int cmdf(struct gdb *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cmdf(struct gdb *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(g->cmd, sizeof g->cmd, fmt, ap);
	va_end(ap);
	return n;
}

static int reply_is(const struct gdb *g, const char *s)
{
	return g->rx.len == strlen(s) && !memcmp(g->rx.buf, s, g->rx.len);
}

/* The reply to an operation on the target that should be OK. */
static int expect_ok(struct gdb *g, const char *what, struct sg_err *err)
{
	int code;

	if (reply_is(g, "OK"))
		return SG_OK;
	if (rsp_is_error(g->rx.buf, g->rx.len, &code))
		return sg_errf(err, SG_FAIL, "%s: %s: the server answered %.40s", g->base.name, what,
			       (const char *)g->rx.buf);
	if (!g->rx.len)
		return link_fail(g, err, "%s: the server does not support it", what);
	return link_fail(g, err, "%s: an unexpected answer '%.40s'", what, (const char *)g->rx.buf);
}

/* Waits for the stop reply after 'c' or 0x03: RECV_OK (*sig), RECV_TIMEOUT
 * or SG_EENV (the target ended). */
static int wait_stop(struct gdb *g, long long deadline, int *sig, struct sg_err *err)
{
	for (;;) {
		int rc = recv_packet(g, deadline, err);
		if (rc != RECV_OK)
			return rc;
		switch (rsp_parse_stop(g->rx.buf, g->rx.len, sig)) {
		case RSP_STOP_SIGNAL:
			g->running = 0;
			return RECV_OK;
		case RSP_STOP_EXITED:
			return link_fail(g, err, "the target ended (%.40s)", (const char *)g->rx.buf);
		default:
			continue; /* console output */
		}
	}
}

static int gdb_halt(struct sg_dbg *d, struct sg_err *err)
{
	struct gdb *g = (struct gdb *)d;
	int rc, sig;

	if (g->dead)
		return sg_errf(err, SG_EENV, "%s: the connection was lost earlier", d->name);
	if (!g->running)
		return SG_OK;
	if ((rc = send_raw(g, "\003", 1, err)) != SG_OK)
		return rc;
	rc = wait_stop(g, now_ms() + g->timeout_ms, &sig, err);
	if (rc == RECV_TIMEOUT)
		return link_fail(g, err, "the core did not halt within %d ms", g->timeout_ms);
	return rc;
}

static int check_words(struct gdb *g, uint32_t addr, size_t n, struct sg_err *err)
{
	if (addr % 4 || n % 4 || addr + (uint64_t)n > 0x100000000ull)
		return sg_errf(err, SG_EINPUT, "%s: 0x%08x+%zu is not a run of whole words", g->base.name, addr, n);
	return g->dead ? sg_errf(err, SG_EENV, "%s: the connection was lost earlier", g->base.name) : SG_OK;
}

static int gdb_read(struct sg_dbg *d, uint32_t addr, void *buf, size_t n, struct sg_err *err)
{
	struct gdb *g = (struct gdb *)d;
	uint8_t *out = buf;
	char what[48];
	int rc = check_words(g, addr, n, err), code;

	while (rc == SG_OK && n) {
		size_t want = n < g->mem_chunk ? n : g->mem_chunk, got;
		snprintf(what, sizeof what, "reading 0x%08x", addr);
		cmdf(g, "m%x,%zx", addr, want);
		if ((rc = transact(g, what, err)) != SG_OK)
			break;
		got = g->rx.len / 2;
		if (rsp_is_error(g->rx.buf, g->rx.len, &code))
			return sg_errf(err, SG_FAIL, "%s: %s: the server answered %.40s", d->name, what,
				       (const char *)g->rx.buf);
		/* a server may answer fewer bytes than asked for, not more */
		if (g->rx.len % 2 || !got || got > want || got % 4 || rsp_hex_decode(g->rx.buf, got, out) != 0)
			return link_fail(g, err, "%s: a malformed answer '%.40s'", what, (const char *)g->rx.buf);
		out += got;
		addr += (uint32_t)got;
		n -= got;
	}
	return rc;
}

static int gdb_write(struct sg_dbg *d, uint32_t addr, const void *buf, size_t n, struct sg_err *err)
{
	struct gdb *g = (struct gdb *)d;
	const uint8_t *in = buf;
	char what[48];
	int rc = check_words(g, addr, n, err);

	while (rc == SG_OK && n) {
		size_t want = n < g->mem_chunk ? n : g->mem_chunk;
		int head = cmdf(g, "M%x,%zx:", addr, want);
		sg_hex(in, want, g->cmd + head);
		snprintf(what, sizeof what, "writing 0x%08x", addr);
		if ((rc = transact(g, what, err)) != SG_OK || (rc = expect_ok(g, what, err)) != SG_OK)
			break;
		in += want;
		addr += (uint32_t)want;
		n -= want;
	}
	return rc;
}

/* Appends the annex's whole text to g->xml (qXfer:features:read, in
 * pieces the PacketSize allows). */
static int read_annex(struct gdb *g, const char *annex, struct sg_err *err)
{
	char what[200];
	/* escaped, the answer may be twice as long as its data */
	size_t piece = (g->packet_size < RSP_MAX_PAYLOAD / 2 ? g->packet_size : RSP_MAX_PAYLOAD / 2) - 8;
	int rc, code;

	snprintf(what, sizeof what, "reading the target description %.100s", annex);
	for (size_t off = 0;;) {
		cmdf(g, "qXfer:features:read:%s:%zx,%zx", annex, off, piece);
		if ((rc = transact(g, what, err)) != SG_OK)
			return rc;
		if (rsp_is_error(g->rx.buf, g->rx.len, &code) || !g->rx.len ||
		    (g->rx.buf[0] != 'm' && g->rx.buf[0] != 'l'))
			return link_fail(g, err, "%s: the server answered '%.40s'", what, (const char *)g->rx.buf);
		size_t n = rsp_unescape(g->rx.buf + 1, g->rx.len - 1);
		if (g->xml_len + n >= MAX_XML)
			return link_fail(g, err, "%s: longer than %d bytes", what, MAX_XML);
		memcpy(g->xml + g->xml_len, g->rx.buf + 1, n);
		g->xml_len += n;
		off += n;
		if (g->rx.buf[0] == 'l' || !n)
			return SG_OK;
	}
}

struct xml_walk {
	struct gdb *g;
	struct sg_err *err;
	int rc;
};

static int walk_annex(void *ctx, const char *annex)
{
	struct xml_walk *w = ctx;
	struct gdb *g = w->g;
	size_t start = g->xml_len;

	for (const char *p = annex; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
			return w->rc = link_fail(g, w->err, "the target description includes '%.60s'", annex);
	if ((w->rc = read_annex(g, annex, w->err)) != SG_OK)
		return w->rc;
	/* the annex's text stays in g->xml while its includes are appended */
	return rsp_parse_xml(g->xml + start, g->xml_len - start, &g->regs, walk_annex, w);
}

/* Finds the numbers of the registers a call sets, by name, in the target
 * description (QEMU answers p and P only after it was read). */
static int find_regs(struct gdb *g, struct sg_err *err)
{
	struct xml_walk w = {g, err, SG_OK};
	int rc;

	if (g->regs_known)
		return SG_OK;
	rsp_regs_init(&g->regs);
	if (!g->features.xfer_features) {
		/* GDB's classic ARM numbering: r0-r15, then f0-f7, fps, cpsr */
		static const int classic[RSP_NREGS] = {0, 1, 2, 3, 13, 14, 15, 25};
		memcpy(g->regs.num, classic, sizeof classic);
	} else {
		if (!g->xml && !(g->xml = malloc(MAX_XML)))
			return sg_errf(err, SG_EENV, "%s: out of memory", g->base.name);
		g->xml_len = 0;
		rc = walk_annex(&w, "target.xml");
		if (w.rc != SG_OK)
			return w.rc;
		if (rc)
			return link_fail(g, err, "the target description includes too many annexes");
	}
	for (int i = 0; i < RSP_NREGS; i++)
		if (g->regs.num[i] < 0)
			return link_fail(g, err, "the target description has no register %s", reg_labels[i]);
	g->regs_known = 1;
	return SG_OK;
}

static int reg_write(struct gdb *g, int reg, uint32_t v, struct sg_err *err)
{
	char what[40];
	int rc;

	snprintf(what, sizeof what, "writing register %s", reg_labels[reg]);
	cmdf(g, "P%x=%02x%02x%02x%02x", g->regs.num[reg], v & 0xff, v >> 8 & 0xff, v >> 16 & 0xff, v >> 24);
	if ((rc = transact(g, what, err)) != SG_OK)
		return rc;
	return expect_ok(g, what, err);
}

static int reg_read(struct gdb *g, int reg, uint32_t *v, struct sg_err *err)
{
	char what[40];
	int rc, code;

	snprintf(what, sizeof what, "reading register %s", reg_labels[reg]);
	cmdf(g, "p%x", g->regs.num[reg]);
	if ((rc = transact(g, what, err)) != SG_OK)
		return rc;
	if (rsp_is_error(g->rx.buf, g->rx.len, &code))
		return sg_errf(err, SG_FAIL, "%s: %s: the server answered %.40s", g->base.name, what,
			       (const char *)g->rx.buf);
	if (rsp_reg_value(g->rx.buf, g->rx.len, v) != 0)
		return link_fail(g, err, "%s: a malformed answer '%.40s'", what, (const char *)g->rx.buf);
	return SG_OK;
}

/* Z0 (a software breakpoint) where the server takes it, else Z1. */
static int breakpoint(struct gdb *g, int set, uint32_t addr, struct sg_err *err)
{
	char what[48];
	int rc;

	snprintf(what, sizeof what, "%s a breakpoint at 0x%08x", set ? "setting" : "removing", addr);
	for (int kind = g->bp_kind < 0 ? 0 : g->bp_kind; kind <= 1; kind++) {
		cmdf(g, "%c%d,%x,2", set ? 'Z' : 'z', kind, addr);
		if ((rc = transact(g, what, err)) != SG_OK)
			return rc;
		if (reply_is(g, "OK")) {
			g->bp_kind = kind;
			return SG_OK;
		}
		if (!set || kind == 1)
			return expect_ok(g, what, err);
	}
	return SG_OK; /* not reached */
}

static int set_regs(struct gdb *g, const struct sg_dbg_call *c, struct sg_err *err)
{
	const uint32_t v[RSP_NREGS - 1] = {c->r[0], c->r[1], c->r[2], c->r[3], c->sp, c->stop | 1, c->entry & ~1u};
	uint32_t xpsr;
	int rc = SG_OK;

	for (int i = 0; i < RSP_NREGS - 1 && rc == SG_OK; i++)
		rc = reg_write(g, i, v[i], err);
	if (rc == SG_OK)
		rc = reg_read(g, RSP_XPSR, &xpsr, err);
	return rc == SG_OK ? reg_write(g, RSP_XPSR, xpsr | XPSR_T, err) : rc;
}

/* Runs to the breakpoint at stop, or halts the core at timeout_ms. */
static int run_to_stop(struct gdb *g, const struct sg_dbg_call *c, int timeout_ms, struct sg_err *err)
{
	int rc, sig;
	uint32_t pc;

	cmdf(g, "c");
	if ((rc = send_packet(g, "continue", err)) != SG_OK)
		return rc;
	g->running = 1;
	rc = wait_stop(g, now_ms() + timeout_ms, &sig, err);
	if (rc == RECV_TIMEOUT) {
		if ((rc = gdb_halt(&g->base, err)) != SG_OK)
			return rc;
		breakpoint(g, 0, c->stop & ~1u, err);
		return sg_errf(err, SG_EENV, "%s: the routine at 0x%08x did not reach 0x%08x within %d ms",
			       g->base.name, c->entry, c->stop, timeout_ms);
	}
	if (rc != RECV_OK || (rc = reg_read(g, RSP_PC, &pc, err)) != SG_OK)
		return rc;
	if (pc != (c->stop & ~1u))
		return sg_errf(err, SG_FAIL, "%s: the routine at 0x%08x stopped at 0x%08x (signal %d), not at 0x%08x",
			       g->base.name, c->entry, pc, sig, c->stop);
	return SG_OK;
}

static int gdb_call(struct sg_dbg *d, const struct sg_dbg_call *c, int timeout_ms, uint32_t *r0,
		    struct sg_err *err)
{
	struct gdb *g = (struct gdb *)d;
	int rc;

	if ((rc = gdb_halt(d, err)) != SG_OK || (rc = find_regs(g, err)) != SG_OK ||
	    (rc = set_regs(g, c, err)) != SG_OK || (rc = breakpoint(g, 1, c->stop & ~1u, err)) != SG_OK)
		return rc;
	rc = run_to_stop(g, c, timeout_ms, err);
	if (rc == SG_OK)
		rc = breakpoint(g, 0, c->stop & ~1u, err);
	else if (rc == SG_FAIL && !g->dead)
		breakpoint(g, 0, c->stop & ~1u, NULL);
	return rc == SG_OK ? reg_read(g, RSP_R0, r0, err) : rc;
}

static void gdb_close(struct sg_dbg *d)
{
	struct gdb *g = (struct gdb *)d;

	if (!g)
		return;
	if (g->t && !g->dead && gdb_halt(d, NULL) == SG_OK) {
		/* detach: the target stays as it is (QEMU resumes its core) */
		g->timeout_ms = g->timeout_ms < 1000 ? g->timeout_ms : 1000;
		cmdf(g, "D");
		transact(g, "detach", NULL);
	}
	sg_transport_close(g->t);
	free(g->xml);
	free(g);
}

static const struct sg_dbg_ops gdb_ops = {
	.read = gdb_read,
	.write = gdb_write,
	.halt = gdb_halt,
	.call = gdb_call,
	.close = gdb_close,
};

/* qSupported, no-ack mode when offered, and '?' (the core's state: in
 * all-stop mode a server holds the core halted while a debugger is on). */
static int handshake(struct gdb *g, struct sg_err *err)
{
	int rc, sig;
	size_t ps;

	cmdf(g, "qSupported:swbreak+;hwbreak+;xmlRegisters=arm");
	if ((rc = transact(g, "qSupported", err)) != SG_OK)
		return rc;
	rsp_parse_supported(g->rx.buf, g->rx.len, &g->features);
	ps = g->features.packet_size ? g->features.packet_size : DEFAULT_PACKET_SIZE;
	g->packet_size = ps < RSP_MAX_PAYLOAD ? ps : RSP_MAX_PAYLOAD;
	/* "Maaaaaaaa,llll:" and two hex digits a byte, whole words */
	g->mem_chunk = (g->packet_size - 16) / 2 / 4 * 4;
	if (g->packet_size < 32)
		return link_fail(g, err, "the server's PacketSize %zu is too small", ps);
	if (g->mem_chunk > MEM_CHUNK_MAX)
		g->mem_chunk = MEM_CHUNK_MAX;
	if (g->features.no_ack) {
		cmdf(g, "QStartNoAckMode");
		if ((rc = transact(g, "QStartNoAckMode", err)) != SG_OK)
			return rc;
		g->no_ack = reply_is(g, "OK");
	}
	cmdf(g, "?");
	if ((rc = send_packet(g, "?", err)) != SG_OK)
		return rc;
	rc = wait_stop(g, now_ms() + g->timeout_ms, &sig, err);
	if (rc == RECV_TIMEOUT)
		return link_fail(g, err, "no answer to ? within %d ms", g->timeout_ms);
	return rc;
}

/* The tcp: transport names an address it cannot resolve "tcp:HOST:PORT":
 * the fixture is gdb:HOST:PORT. */
static void tcp_in_our_words(struct sg_err *err)
{
	char why[sizeof err->msg];

	if (err && !strncmp(err->msg, "tcp:", 4)) {
		snprintf(why, sizeof why, "%s", err->msg + 4);
		sg_errf_param(err, err->status, err->param, "gdb:%s", why);
	}
}

int sg_dbg_gdb_open(const char *hostport, const char *spec, int timeout_ms, struct sg_dbg **d,
		    struct sg_err *err)
{
	const char *colon = strrchr(hostport, ':');
	struct gdb *g;
	int rc;

	*d = NULL;
	if (!colon || colon == hostport || !colon[1])
		return sg_errf_param(err, SG_EINPUT, "fixture", "%s: not gdb:HOST:PORT", spec);
	if (!(g = calloc(1, sizeof *g)))
		return sg_errf(err, SG_EENV, "%s: out of memory", spec);
	g->base.ops = &gdb_ops;
	snprintf(g->base.name, sizeof g->base.name, "%s", spec);
	g->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
	g->bp_kind = -1;
	rsp_rx_init(&g->rx);
	/* connect within the timeout, TCP_NODELAY (each packet waits for its
	 * answer: Nagle would add ~40 ms to every one) */
	if ((rc = socket_open_tcp(hostport, spec, g->timeout_ms, &g->t, err)) != SG_OK)
		tcp_in_our_words(err);
	if (rc != SG_OK || (rc = handshake(g, err)) != SG_OK) {
		g->dead = 1;
		gdb_close(&g->base);
		return rc;
	}
	*d = &g->base;
	return SG_OK;
}
