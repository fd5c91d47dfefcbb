/* The MCUboot pipeline behind sg_sign_file (sign/sign.c dispatches on the
 * format; sign/mcuboot_sign.c makes the image or its signing request). */
#ifndef SIGNET_MCUBOOT_SIGN_PRIV_H
#define SIGNET_MCUBOOT_SIGN_PRIV_H

#include "signet/sign.h"

/* sg_sign_file for o->format SG_SIGN_MCUBOOT. */
int sg_mcuboot_sign(const struct sg_sign_opts *o, struct sg_hsm_ctx *hsm,
		    struct sg_sign_result *result, struct sg_err *err);

#endif
