/* The GDB remote serial protocol's packet codec, without I/O (dbg_gdb.c
 * drives it over TCP; fuzz/fuzz_gdb_reply.c feeds it arbitrary bytes).
 * GDB manual, "Remote Protocol": a packet is $PAYLOAD#CC, CC the two-hex
 * sum of the payload's bytes modulo 256; '+' and '-' acknowledge; in a
 * reply, "X*C" repeats X (C - 29) more times; binary data escapes # $ } *
 * as '}' then the byte XOR 0x20. */
#ifndef SIGNET_GDB_RSP_H
#define SIGNET_GDB_RSP_H

#include <stddef.h>
#include <stdint.h>

/* The largest reply payload, run-length encoding expanded, we accept. */
#define RSP_MAX_PAYLOAD 16384

/* Frames payload as $payload#CC into out, escaping the bytes that cannot
 * appear raw. Returns the frame's length, or 0 when cap is too small. */
size_t rsp_frame(const uint8_t *payload, size_t n, uint8_t *out, size_t cap);

/* What the receiver makes of the bytes fed so far. */
enum rsp_event {
	RSP_MORE,     /* nothing complete yet */
	RSP_ACK,      /* '+' */
	RSP_NACK,     /* '-' */
	RSP_PACKET,   /* a whole packet with a good checksum: rx->buf, rx->len */
	RSP_BAD_SUM,  /* a whole packet whose checksum is wrong */
	RSP_BAD_RLE,  /* a run-length code with nothing before it or out of range */
	RSP_TOO_LONG, /* a packet longer than RSP_MAX_PAYLOAD */
};

struct rsp_rx {
	int state; /* where in a packet: outside, payload, checksum digits */
	uint8_t sum, want, rle_pending, broken;
	int digits;
	size_t len;
	uint8_t buf[RSP_MAX_PAYLOAD + 1]; /* the payload, NUL-terminated */
};

void rsp_rx_init(struct rsp_rx *rx);
/* Feeds one byte; bytes outside a packet other than + - $ are ignored. A
 * '$' inside a packet starts a new one (the sender resynchronised). */
enum rsp_event rsp_rx_feed(struct rsp_rx *rx, uint8_t c);

/* Undoes '}' escapes in place; returns the new length. */
size_t rsp_unescape(uint8_t *buf, size_t n);

/* Decodes exactly 2*n hex digits into n bytes: 0, or -1 on a bad digit. */
int rsp_hex_decode(const uint8_t *hex, size_t n, uint8_t *out);

/* A 32-bit little-endian register value as the p packet answers it. */
int rsp_reg_value(const uint8_t *p, size_t n, uint32_t *v);

/* "E NN" (also "E.text" of newer stubs): 1 and *code (-1 for text). */
int rsp_is_error(const uint8_t *p, size_t n, int *code);

/* A console output packet ("O" and hex), to be ignored while waiting. */
int rsp_is_console(const uint8_t *p, size_t n);

/* A stop reply: S AA, T AA..., or the target's end W AA / X AA. */
enum rsp_stop { RSP_STOP_NONE, RSP_STOP_SIGNAL, RSP_STOP_EXITED };
enum rsp_stop rsp_parse_stop(const uint8_t *p, size_t n, int *signal);

/* What the server said to qSupported. */
struct rsp_features {
	unsigned long packet_size; /* 0 when not said */
	int no_ack;                /* QStartNoAckMode+ */
	int xfer_features;         /* qXfer:features:read+ */
};
void rsp_parse_supported(const uint8_t *p, size_t n, struct rsp_features *f);

/* The registers a call needs, found by name in a target description. */
enum { RSP_R0, RSP_R1, RSP_R2, RSP_R3, RSP_SP, RSP_LR, RSP_PC, RSP_XPSR, RSP_NREGS };

struct rsp_regs {
	int num[RSP_NREGS]; /* -1 until found */
	int next;           /* the number the next <reg> without regnum gets */
	int includes;       /* annexes followed so far */
};

void rsp_regs_init(struct rsp_regs *r);

/* Walks one target-description document (target.xml or an annex it
 * includes) in order, numbering its <reg> elements the way GDB does
 * (regnum="N", else one more than the last) and calling include(ctx,
 * href) for each <xi:include href="..."/> where it stands, so that the
 * included registers are numbered in document order. Returns 0, or what
 * include returned when that was not 0. */
int rsp_parse_xml(const char *xml, size_t n, struct rsp_regs *r,
		  int (*include)(void *ctx, const char *href), void *ctx);

#endif
