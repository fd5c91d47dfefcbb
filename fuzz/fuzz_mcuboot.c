/* libFuzzer harness for MCUboot images: the codec's parser (header, both
 * TLV areas, trailer) and the whole host verification path with real
 * OpenSSL, over arbitrary bytes. The trusted keys are the public halves of
 * imgtool's test keys (tests/vectors/mcuboot), which signed the seed
 * corpus, so mutations of valid images reach the digest and signature
 * checks and the verdict. */
#include <stdint.h>
#include <string.h>

#include <openssl/pem.h>

#include "signet/mcuboot_sign.h"
#include "fuzz_mem.h"

static const char *const pems[] = {
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEAMethpFi1I/RR/rhlnQPmgjDmFcc3euMWugozUUi85i0=\n"
	"-----END PUBLIC KEY-----\n",
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhvKb/H9Oc1nXSnyJ/s91UNS20sB+\n"
	"yvZ83gHevtu4aV/fSOSwu1XfUspqgFwjrODdn1ea9sPwBWnV92apNjsD2w==\n"
	"-----END PUBLIC KEY-----\n",
	"-----BEGIN PUBLIC KEY-----\n"
	"MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE+BjOFbw5SCRJ/LnQleWK5AbMxbhfFyVJ\n"
	"OK9wiHJn/+S9m02wBNaRJS+mRHwcmvjoYZTgIE78NpPkeB8K7jB2nFTIG/Is/E17\n"
	"A2M40xDDzS3BDs8Sh3XNDut48DlHOeYV\n"
	"-----END PUBLIC KEY-----\n",
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBojANBgkqhkiG9w0BAQEFAAOCAY8AMIIBigKCAYEAwltXfTDqs79gi31tU1sZ\n"
	"O27VDElOl7A6lzne2zpzXpfs19RnQ4X7OJy5zCfWuXlgeLx/77WYFo1QanuxIiUr\n"
	"/1tw8bCIG73ZbtflWZPIzUx/Ve2+BF/qzb8tYjyb9nkVSPnY0Y9ZckE5Mzl22lZZ\n"
	"xywhI6hB/2XbyuHPKdLEREVbaZ5Fwf+DUh+0Bh1ZA96jxzaVDsCd7DtEFMxJNYTP\n"
	"WQyC6YrJYZVvg046Oz40yE5za4c06tyiGPvw9ndI1HgWoHDfNdKbwpzPq/o/4KwE\n"
	"NuHfhKEnURQB+y7XayQrsUpAXIrSk32+fiZvcf5AXM+3/SGRE/+XLRiec3r+kKdc\n"
	"/+XBAVCsC8kJr8L2jpj/A98hAeMKGmOaEXIycyeUzwcPvffx5cpRMvSno9r/aYf+\n"
	"5eE+XIDR3WkAW31U1xzI0Cui77YtBfZzUhBk1g5LeZYFWyBHXatXCePxpB2BtBZr\n"
	"JAlailvfdOcBDWOKpLjNuBtAInpU0K5y1aGFcNrm+SOhAgMBAAE=\n"
	"-----END PUBLIC KEY-----\n",
};

/* Only pkey is read by the MCUboot verifier; the keys live for the whole
 * run (libFuzzer never returns). */
static const struct sg_trust *trust(void)
{
	static struct sg_trust t;
	if (t.n)
		return &t;
	for (size_t i = 0; i < sizeof(pems) / sizeof(pems[0]); i++) {
		BIO *bio = BIO_new_mem_buf(pems[i], -1);
		t.keys[t.n].pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		t.keys[t.n].path = (char *)"fuzz";
		BIO_free(bio);
		if (t.keys[t.n].pkey)
			t.n++;
	}
	return &t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sg_mcuboot_info info;
	struct sg_err err;
	struct mem m = { data, size };
	(void)sg_mcuboot_detect(data, size);
	if (sg_mcuboot_parse(&info, rd, &m, size, &err) != SG_OK)
		return 0;
	for (unsigned i = 0; i < info.ntlvs; i++)
		(void)sg_mcuboot_tlv_name(info.tlvs[i].type);
	sg_mcuboot_verify(rd, &m, size, trust(), &info, &err);
	return 0;
}
