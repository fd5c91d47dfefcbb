/* MCUboot images (mcu-tools/mcuboot), as imgtool 2.4.0 writes them and
 * bootutil reads them: constants, header and TLV encoding, a bounds-checked
 * parser, and the slot trailer layout. docs/mcuboot.md is the reference.
 *
 * Pure codec: no OpenSSL, no heap, no file I/O. Image bytes come through a
 * read callback, so the parser never holds more than one TLV header at a
 * time and works the same on a file, a memory buffer or flash. Signing and
 * verification with keys live in sign/mcuboot_sign.h.
 *
 * Layout of an image (all integers little-endian):
 *   [header 32 bytes | fill to hdr_size] [image img_size bytes]
 *   [protected TLV area, optional]       [TLV area]
 *   ... [trailer at the end of the slot, when padded]
 * The image digest covers everything before the (unprotected) TLV area. */
#ifndef SIGNET_MCUBOOT_H
#define SIGNET_MCUBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signet/err.h"

#define SG_MCUBOOT_IMAGE_MAGIC 0x96f3b83du
#define SG_MCUBOOT_IMAGE_MAGIC_V1 0x96f3b83cu /* pre-1.0 layout, refused */
#define SG_MCUBOOT_HEADER_SIZE 32
#define SG_MCUBOOT_TLV_INFO_MAGIC 0x6907u
#define SG_MCUBOOT_TLV_PROT_INFO_MAGIC 0x6908u
#define SG_MCUBOOT_TLV_INFO_SIZE 4 /* magic, total size including itself */
#define SG_MCUBOOT_TLV_HDR_SIZE 4  /* type, length */
#define SG_MCUBOOT_TLV_AREA_MAX 0xffffu /* it_tlv_tot is 16 bits */

/* Header flags (ih_flags). */
#define SG_MCUBOOT_F_PIC 0x00000001u
#define SG_MCUBOOT_F_ENCRYPTED_AES128 0x00000004u
#define SG_MCUBOOT_F_ENCRYPTED_AES256 0x00000008u
#define SG_MCUBOOT_F_NON_BOOTABLE 0x00000010u
#define SG_MCUBOOT_F_RAM_LOAD 0x00000020u
#define SG_MCUBOOT_F_ROM_FIXED 0x00000100u
#define SG_MCUBOOT_F_COMPRESSED_LZMA1 0x00000200u
#define SG_MCUBOOT_F_COMPRESSED_LZMA2 0x00000400u
#define SG_MCUBOOT_F_COMPRESSED_ARM_THUMB 0x00000800u

/* TLV types (bootutil/image.h). */
#define SG_MCUBOOT_TLV_KEYHASH 0x01u
#define SG_MCUBOOT_TLV_PUBKEY 0x02u
#define SG_MCUBOOT_TLV_SHA256 0x10u
#define SG_MCUBOOT_TLV_SHA384 0x11u
#define SG_MCUBOOT_TLV_SHA512 0x12u
#define SG_MCUBOOT_TLV_RSA2048_PSS 0x20u
#define SG_MCUBOOT_TLV_ECDSA224 0x21u
#define SG_MCUBOOT_TLV_ECDSA_SIG 0x22u
#define SG_MCUBOOT_TLV_RSA3072_PSS 0x23u
#define SG_MCUBOOT_TLV_ED25519 0x24u
#define SG_MCUBOOT_TLV_SIG_PURE 0x25u
#define SG_MCUBOOT_TLV_ENC_RSA2048 0x30u
#define SG_MCUBOOT_TLV_ENC_KW 0x31u
#define SG_MCUBOOT_TLV_ENC_EC256 0x32u
#define SG_MCUBOOT_TLV_ENC_X25519 0x33u
#define SG_MCUBOOT_TLV_ENC_X25519_SHA512 0x34u
#define SG_MCUBOOT_TLV_DEPENDENCY 0x40u
#define SG_MCUBOOT_TLV_SEC_CNT 0x50u
#define SG_MCUBOOT_TLV_BOOT_RECORD 0x60u
#define SG_MCUBOOT_TLV_DECOMP_SIZE 0x70u
#define SG_MCUBOOT_TLV_DECOMP_SHA 0x71u
#define SG_MCUBOOT_TLV_DECOMP_SIGNATURE 0x72u
#define SG_MCUBOOT_TLV_COMP_DEC_SIZE 0x73u
#define SG_MCUBOOT_TLV_UUID_VID 0x74u
#define SG_MCUBOOT_TLV_UUID_CID 0x75u
#define SG_MCUBOOT_TLV_ANY 0xffffu /* never a real type */

/* Parser limits: more than this is refused as malformed (imgtool writes
 * at most a dozen TLVs; the cap keeps the info struct a fixed size). */
#define SG_MCUBOOT_MAX_TLVS 64
#define SG_MCUBOOT_MAX_SIGS 8
#define SG_MCUBOOT_DIGEST_MAX 64
#define SG_MCUBOOT_SIG_MAX 512
#define SG_MCUBOOT_PUBKEY_MAX 600
#define SG_MCUBOOT_TLV_PEEK 64 /* value bytes kept per TLV for display */

/* Trailer (docs/design.md "Image trailer" in MCUboot). */
#define SG_MCUBOOT_MAGIC_SIZE 16
#define SG_MCUBOOT_MAX_SECTORS_DEFAULT 128
#define SG_MCUBOOT_FLAG_SET 0x01 /* image_ok / copy_done written */

/* One 32-byte image header (struct image_header). */
struct sg_mcuboot_header {
	uint32_t magic;
	uint32_t load_addr;
	uint16_t hdr_size;
	uint16_t protect_tlv_size; /* protected area incl. its info header, or 0 */
	uint32_t img_size;         /* image bytes after the header */
	uint32_t flags;
	uint8_t ver_major, ver_minor;
	uint16_t ver_revision;
	uint32_t ver_build;
	uint32_t pad1;
};

/* Reads exactly len bytes at off into buf; 0 on success. */
typedef int (*sg_mcuboot_read_fn)(void *arg, uint64_t off, uint8_t *buf, size_t len);

struct sg_mcuboot_tlv {
	uint16_t type;
	uint16_t len;
	bool prot;    /* in the protected (hashed) area */
	uint64_t off; /* file offset of the value */
	uint8_t peek[SG_MCUBOOT_TLV_PEEK]; /* the first min(len, 64) value bytes */
};

enum sg_mcuboot_sig_status {
	SG_MCUBOOT_SIG_UNCHECKED = 0,
	SG_MCUBOOT_SIG_VALID,     /* a trusted key, and the signature verifies */
	SG_MCUBOOT_SIG_INVALID,   /* a trusted key, and it does not (or wrong type) */
	SG_MCUBOOT_SIG_UNTRUSTED, /* no trusted key matches its KEYHASH/PUBKEY */
};

/* One signature TLV and the key TLV (KEYHASH or PUBKEY) that names its
 * key: the nearest one before it, as bootutil pairs them. */
struct sg_mcuboot_sig {
	int tlv;     /* index into info->tlvs */
	int key_tlv; /* index into info->tlvs, -1 when no key TLV precedes it */
	uint8_t status;  /* enum sg_mcuboot_sig_status, set by verification */
	int trust_index; /* the trusted key that matched, -1 if none */
};

/* Trailer state, read from the end of the file when a boot magic ends it
 * (images made with --pad). Offsets are file offsets. */
struct sg_mcuboot_trailer {
	bool present;
	uint32_t max_align; /* 8 for the classic magic, else encoded in the magic */
	uint64_t magic_off;
	uint8_t image_ok, copy_done, swap_info; /* raw bytes; 0xff (erased) = unset */
	uint32_t swap_size;
};

enum sg_mcuboot_check {
	SG_MCUBOOT_CHECK_NOT_RUN = 0,
	SG_MCUBOOT_CHECK_PASS,
	SG_MCUBOOT_CHECK_FAIL,
};

/* Everything signet knows about an image: filled by sg_mcuboot_parse
 * (structure) and completed by verification (the *_check fields). */
struct sg_mcuboot_info {
	uint64_t file_size;
	struct sg_mcuboot_header hdr;
	uint64_t prot_off;    /* protected area (info header) offset, if any */
	uint64_t tlv_off;     /* TLV area (info header) offset */
	uint32_t tlv_size;    /* it_tlv_tot of the TLV area */
	uint64_t hashed_size; /* hdr_size + img_size + protect_tlv_size */
	uint64_t image_end;   /* end of the TLV area */

	struct sg_mcuboot_tlv tlvs[SG_MCUBOOT_MAX_TLVS]; /* file order */
	unsigned ntlvs;

	bool has_counter;
	uint32_t security_counter;
	uint16_t digest_type; /* SG_MCUBOOT_TLV_SHA256/384/512 */
	uint8_t digest_len;
	uint8_t digest[SG_MCUBOOT_DIGEST_MAX];
	bool sig_pure;  /* a SIG_PURE TLV with value 1 */
	bool encrypted; /* encryption flags or key TLVs */
	struct sg_mcuboot_sig sigs[SG_MCUBOOT_MAX_SIGS];
	unsigned nsigs;
	struct sg_mcuboot_trailer trailer;

	/* Verification results. */
	uint8_t digest_check;    /* enum sg_mcuboot_check */
	uint8_t computed_digest[SG_MCUBOOT_DIGEST_MAX];
	uint8_t signature_check; /* PASS: >= 1 valid and no invalid trusted signature */
	int valid_sig;           /* index into sigs of the first valid one, -1 */
};

/* True if the first n (>= 4) bytes start with IMAGE_MAGIC. */
bool sg_mcuboot_detect(const uint8_t *first4, size_t n);

void sg_mcuboot_header_encode(const struct sg_mcuboot_header *h,
			      uint8_t out[SG_MCUBOOT_HEADER_SIZE]);
/* Decodes and checks one header: magic, hdr_size >= 32. SG_EINPUT with the
 * rule otherwise (no file name in the message). */
int sg_mcuboot_header_decode(const uint8_t in[SG_MCUBOOT_HEADER_SIZE],
			     struct sg_mcuboot_header *h, struct sg_err *err);

/* TLV area writer over a caller buffer: init reserves the info header,
 * add appends one TLV, finish writes the info header and returns the area
 * size (0, and nothing written, for an area with no TLV, as imgtool). */
struct sg_mcuboot_tlv_writer {
	uint8_t *buf;
	size_t cap, len;
	uint16_t magic;
	unsigned count;
};
void sg_mcuboot_tlvw_init(struct sg_mcuboot_tlv_writer *w, uint16_t magic, uint8_t *buf,
			  size_t cap);
/* -1 if it does not fit the buffer or the 64 KiB limit of an area. */
int sg_mcuboot_tlvw_add(struct sg_mcuboot_tlv_writer *w, uint16_t type, const void *val,
			size_t len);
size_t sg_mcuboot_tlvw_finish(struct sg_mcuboot_tlv_writer *w);

/* Parses the structure of an image of file_size bytes: header, both TLV
 * areas (every TLV bounded by its area, areas by the file), the rules in
 * docs/mcuboot.md §4 (allowed types per area, lengths, no duplicates, one
 * digest), and the trailer. SG_EINPUT naming the offset and the rule;
 * SG_EENV if rd fails. info is zeroed first and filled as far as parsing
 * got. */
int sg_mcuboot_parse(struct sg_mcuboot_info *info, sg_mcuboot_read_fn rd, void *arg,
		     uint64_t file_size, struct sg_err *err);

/* Parses the hashed region of an image whose TLV area is not there yet
 * (the body of an MCUboot signing request): header and protected TLVs,
 * which must end exactly at size, with sg_mcuboot_parse's rules.
 * hashed_size, tlv_off and image_end are all size. */
int sg_mcuboot_parse_hashed(struct sg_mcuboot_info *info, sg_mcuboot_read_fn rd, void *arg,
			    uint64_t size, struct sg_err *err);

/* The trailer imgtool appends with --pad, for a flash write alignment
 * (1, 2, 4, 8, 16, 32), a maximum alignment (0: max(8, align), imgtool's
 * default) and a sector count (0: 128). Distances are from the slot end. */
struct sg_mcuboot_trailer_layout {
	uint32_t align, max_align, max_sectors;
	uint32_t size; /* swap status + 4 flag fields + magic, each max_align-padded */
	uint32_t magic_from_end;
	uint32_t image_ok_from_end, copy_done_from_end, swap_info_from_end, swap_size_from_end;
	uint8_t magic[SG_MCUBOOT_MAGIC_SIZE];
};
/* -1 if align or max_align is not one MCUboot supports. */
int sg_mcuboot_trailer_layout(uint32_t align, uint32_t max_align, uint32_t max_sectors,
			      struct sg_mcuboot_trailer_layout *l);

/* Names for messages and inspect: "SHA256", "KEYHASH", "SEC_CNT", ...,
 * "vendor" for the vendor ranges, "unknown" otherwise. */
const char *sg_mcuboot_tlv_name(uint16_t type);
/* "sha256", "sha384", "sha512" for the digest TLV types, else NULL. */
const char *sg_mcuboot_digest_name(uint16_t type);
unsigned sg_mcuboot_digest_len(uint16_t type); /* 0 if not a digest type */
/* Name of one flag bit ("RAM_LOAD", ...), NULL if unknown. */
const char *sg_mcuboot_flag_name(uint32_t bit);

#endif
