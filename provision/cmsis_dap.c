/* CMSIS-DAP requests and responses as bytes (cmsis_dap_priv.h). */
#include <string.h>

#include "cmsis_dap_priv.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int dap_result_ack(const struct dap_result *r, size_t asked)
{
	uint8_t ack = r->rsp & 0x07;

	if (r->rsp & (DAP_RSP_PROTOCOL | DAP_RSP_MISMATCH))
		return -1;
	if (ack == DAP_ACK_OK)
		return r->done == asked ? 0 : -1;
	if (ack == DAP_ACK_WAIT || ack == DAP_ACK_FAULT)
		return ack;
	return -1;
}

size_t dap_transfer_req_len(const struct dap_op *ops, size_t n)
{
	size_t len = 3;

	for (size_t i = 0; i < n; i++)
		len += (ops[i].req & DAP_READ) ? 1 : 5;
	return len;
}

size_t dap_transfer_rsp_len(const struct dap_op *ops, size_t n)
{
	size_t len = 3;

	for (size_t i = 0; i < n; i++)
		len += (ops[i].req & DAP_READ) ? 4 : 0;
	return len;
}

size_t dap_block_max_words(size_t pkt, bool write)
{
	/* A write's request is [cmd][index][count:2][req] + words; a read's
	 * response [cmd][count:2][rsp] + words. */
	size_t head = write ? 5 : 4;

	return pkt > head ? (pkt - head) / 4 : 0;
}

size_t dap_encode_info(uint8_t *out, size_t cap, uint8_t id)
{
	if (cap < 2)
		return 0;
	out[0] = DAP_INFO;
	out[1] = id;
	return 2;
}

size_t dap_encode_transfer(uint8_t *out, size_t cap, const struct dap_op *ops, size_t n)
{
	size_t len = dap_transfer_req_len(ops, n), at = 3;

	if (n == 0 || n > 255 || len > cap)
		return 0;
	out[0] = DAP_TRANSFER;
	out[1] = 0; /* DAP index: ignored on SWD */
	out[2] = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		out[at++] = ops[i].req & 0x0F;
		if (!(ops[i].req & DAP_READ)) {
			put_le32(out + at, ops[i].wdata);
			at += 4;
		}
	}
	return at;
}

size_t dap_encode_block(uint8_t *out, size_t cap, uint8_t req, size_t words, const uint8_t *wdata)
{
	bool read = req & DAP_READ;
	size_t len = 5 + (read ? 0 : 4 * words);

	if (words == 0 || words > 0xFFFF || len > cap)
		return 0;
	out[0] = DAP_TRANSFER_BLOCK;
	out[1] = 0;
	out[2] = (uint8_t)words;
	out[3] = (uint8_t)(words >> 8);
	out[4] = req & 0x0F;
	if (!read)
		memcpy(out + 5, wdata, 4 * words);
	return len;
}

size_t dap_encode_swj_sequence(uint8_t *out, size_t cap, unsigned bits, const uint8_t *data)
{
	size_t bytes = (bits + 7) / 8;

	if (bits == 0 || bits > 256 || 2 + bytes > cap)
		return 0;
	out[0] = DAP_SWJ_SEQUENCE;
	out[1] = (uint8_t)bits; /* 256 is sent as 0 */
	memcpy(out + 2, data, bytes);
	return 2 + bytes;
}

int dap_decode_info_uint(const uint8_t *rsp, size_t len, uint32_t *value)
{
	if (len < 2 || rsp[0] != DAP_INFO)
		return -1;
	if (rsp[1] == 1 && len >= 3) {
		*value = rsp[2];
		return 0;
	}
	if (rsp[1] == 2 && len >= 4) {
		*value = (uint32_t)rsp[2] | (uint32_t)rsp[3] << 8;
		return 0;
	}
	return -1;
}

int dap_decode_status(const uint8_t *rsp, size_t len, uint8_t cmd)
{
	return len >= 2 && rsp[0] == cmd && rsp[1] == 0 ? 0 : -1;
}

int dap_decode_connect(const uint8_t *rsp, size_t len, uint8_t *port)
{
	if (len < 2 || rsp[0] != DAP_CONNECT)
		return -1;
	*port = rsp[1];
	return 0;
}

int dap_decode_transfer(const uint8_t *rsp, size_t len, struct dap_op *ops, size_t n,
			struct dap_result *r)
{
	size_t at = 3;

	if (len < 3 || rsp[0] != DAP_TRANSFER || rsp[1] > n)
		return -1;
	r->done = rsp[1];
	r->rsp = rsp[2];
	for (size_t i = 0; ops && i < r->done; i++) {
		if (!(ops[i].req & DAP_READ))
			continue;
		if (len - at < 4)
			return -1;
		ops[i].rdata = get_le32(rsp + at);
		at += 4;
	}
	return 0;
}

int dap_decode_block(const uint8_t *rsp, size_t len, bool read, size_t words, uint8_t *rdata,
		     struct dap_result *r)
{
	size_t done;

	if (len < 4 || rsp[0] != DAP_TRANSFER_BLOCK)
		return -1;
	done = (size_t)rsp[1] | (size_t)rsp[2] << 8;
	if (done > words)
		return -1;
	r->done = done;
	r->rsp = rsp[3];
	if (read) {
		if ((len - 4) / 4 < done)
			return -1;
		memcpy(rdata, rsp + 4, 4 * done);
	}
	return 0;
}
