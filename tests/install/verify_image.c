/* A program of the kind a user writes against the installed libsignet:
 * verifies a signed MCUboot image against one public key.
 *   verify_image IMAGE PUBKEY.pem   -> exit 0 verified, else the status */
#include <stdio.h>

#include <signet/mcuboot_sign.h>
#include <signet/verify.h>

int main(int argc, char **argv)
{
	struct sg_trust trust = {0};
	struct sg_mcuboot_info info;
	struct sg_err err = {0};
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: verify_image IMAGE PUBKEY.pem\n");
		return SG_EINPUT;
	}
	rc = sg_trust_add(&trust, argv[2], &err);
	if (rc == SG_OK)
		rc = sg_mcuboot_verify_file(argv[1], &trust, &info, &err);
	sg_trust_free(&trust);
	if (rc != SG_OK) {
		fprintf(stderr, "verify_image: %s\n", err.msg);
		return rc;
	}
	printf("verified\n");
	return 0;
}
