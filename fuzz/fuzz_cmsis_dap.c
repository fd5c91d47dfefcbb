/* libFuzzer harness for what a CMSIS-DAP probe answers (provision/
 * cmsis_dap.c, the codec under dbg_cmsis_dap.c): every decoder on
 * arbitrary bytes, reading only the bytes given and never claiming more
 * than was asked. The input is [decoder][shape...] then the response: the
 * shape says how many operations or words were asked and which are reads. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmsis_dap_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dap_op ops[255];
	struct dap_result r;
	uint8_t words[4 * 1024], out[DAP_PACKET_MAX];
	uint32_t v;
	uint8_t port;
	size_t n;

	if (size < 3)
		return 0;
	n = data[1];
	switch (data[0] % 5) {
	case 0: /* DAP_Transfer of n operations, reads where bit i of byte 2 says */
		for (size_t i = 0; i < n; i++)
			ops[i] = (struct dap_op){.req = (uint8_t)((data[2] >> (i % 8)) & 1 ? DAP_READ : 0)};
		if (dap_decode_transfer(data + 3, size - 3, n ? ops : NULL, n, &r) == 0) {
			if (r.done > n || dap_transfer_rsp_len(ops, r.done) > size - 3)
				abort();
			(void)dap_result_ack(&r, n);
		}
		/* and the request for the same operations fits what it says */
		if (n && dap_encode_transfer(out, sizeof out, ops, n) != dap_transfer_req_len(ops, n))
			abort();
		break;
	case 1: /* DAP_TransferBlock of up to 1024 words */
		n = ((size_t)data[1] << 2 | (data[2] & 3)) + 1;
		if (dap_decode_block(data + 3, size - 3, data[2] & 4, n, words, &r) == 0 &&
		    (r.done > n || ((data[2] & 4) && 4 + 4 * r.done > size - 3)))
			abort();
		break;
	case 2:
		if (dap_decode_info_uint(data + 1, size - 1, &v) == 0 && v > 0xFFFF)
			abort();
		break;
	case 3:
		(void)dap_decode_status(data + 2, size - 2, data[1]);
		(void)dap_decode_connect(data + 1, size - 1, &port);
		break;
	default: /* encoders: never past their buffer */
		if (size - 3 >= (n + 8) / 8)
			(void)dap_encode_swj_sequence(out, data[2] % 40, (unsigned)n + 1, data + 3);
		if ((data[2] & DAP_READ) || size - 3 >= 4 * n)
			(void)dap_encode_block(out, sizeof out, data[2], n, data + 3);
		break;
	}
	return 0;
}
