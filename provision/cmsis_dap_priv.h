/* CMSIS-DAP commands as bytes: the requests dbg_cmsis_dap.c sends and the
 * checks on what a probe answers (ARM's CMSIS-DAP v2.1 command reference).
 * No I/O here, so the fuzzer drives the decoders on arbitrary bytes. Every
 * decoder reads only the len bytes it is given and refuses a response that
 * is short, of another command, or claims more than was asked. */
#ifndef SIGNET_CMSIS_DAP_PRIV_H
#define SIGNET_CMSIS_DAP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	DAP_INFO = 0x00,
	DAP_CONNECT = 0x02,
	DAP_DISCONNECT = 0x03,
	DAP_TRANSFER_CONFIGURE = 0x04,
	DAP_TRANSFER = 0x05,
	DAP_TRANSFER_BLOCK = 0x06,
	DAP_TRANSFER_ABORT = 0x07,
	DAP_SWJ_CLOCK = 0x11,
	DAP_SWJ_SEQUENCE = 0x12,
};

/* DAP_Info ids the client asks for. */
enum { DAP_ID_PACKET_COUNT = 0xFE, DAP_ID_PACKET_SIZE = 0xFF };

/* A transfer request byte: APnDP, RnW, A[3:2]. */
enum { DAP_AP = 0x01, DAP_READ = 0x02 };
#define DAP_REG(a) ((uint8_t)((a) & 0x0C))

/* The ACK in a transfer response (bits 2:0), and its error bits. */
enum { DAP_ACK_OK = 1, DAP_ACK_WAIT = 2, DAP_ACK_FAULT = 4, DAP_ACK_NONE = 7 };
enum { DAP_RSP_PROTOCOL = 0x08, DAP_RSP_MISMATCH = 0x10 };

/* The largest packet the client works with (probes say 64 to 1024). */
#define DAP_PACKET_MAX 4096u

/* One DAP_Transfer operation: req as above, wdata for a write; a read's
 * value lands in rdata. */
struct dap_op {
	uint8_t req;
	uint32_t wdata;
	uint32_t rdata;
};

/* What a transfer did: how many operations ran, the last one's response
 * byte, and whether the probe's answer was well formed. */
struct dap_result {
	size_t done;
	uint8_t rsp;
};

/* The outcome of a result: 0 every operation ran with ACK OK; else one of
 * DAP_ACK_WAIT, DAP_ACK_FAULT, or -1 (no ACK, a protocol error, a value
 * mismatch: the link is wrong). */
int dap_result_ack(const struct dap_result *r, size_t asked);

/* Request sizes (bytes) and whether they fit a packet of size pkt. */
size_t dap_transfer_req_len(const struct dap_op *ops, size_t n);
size_t dap_transfer_rsp_len(const struct dap_op *ops, size_t n);
/* The most words one DAP_TransferBlock moves in a packet of size pkt. */
size_t dap_block_max_words(size_t pkt, bool write);

/* Encoders: write the request into out (cap bytes), return its length, or
 * 0 when it does not fit. */
size_t dap_encode_info(uint8_t *out, size_t cap, uint8_t id);
size_t dap_encode_transfer(uint8_t *out, size_t cap, const struct dap_op *ops, size_t n);
size_t dap_encode_block(uint8_t *out, size_t cap, uint8_t req, size_t words, const uint8_t *wdata);
/* DAP_SWJ_Sequence of bits (1..256), LSB first from data. */
size_t dap_encode_swj_sequence(uint8_t *out, size_t cap, unsigned bits, const uint8_t *data);

/* Decoders: 0 on a well-formed answer, -1 otherwise. */
/* DAP_Info for a u8 or u16 value (packet count, packet size). */
int dap_decode_info_uint(const uint8_t *rsp, size_t len, uint32_t *value);
/* Commands answered [cmd][status]: DAP_OK (0) is 0, DAP_ERROR is -1 too. */
int dap_decode_status(const uint8_t *rsp, size_t len, uint8_t cmd);
/* DAP_Connect: the port the probe connected (1 = SWD). */
int dap_decode_connect(const uint8_t *rsp, size_t len, uint8_t *port);
/* DAP_Transfer: fills r and the rdata of every read that ran; ops is NULL
 * for a transfer of writes only. */
int dap_decode_transfer(const uint8_t *rsp, size_t len, struct dap_op *ops, size_t n,
			struct dap_result *r);
/* DAP_TransferBlock of words asked; a read's words go to rdata (4 each,
 * little-endian, as the target's memory holds them). */
int dap_decode_block(const uint8_t *rsp, size_t len, bool read, size_t words, uint8_t *rdata,
		     struct dap_result *r);

#endif
