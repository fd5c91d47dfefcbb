/* Inside target profiles: the member readers target.c and target_probe.c
 * share. Each names the file and the member's path in its error. */
#ifndef SIGNET_TARGET_PRIV_H
#define SIGNET_TARGET_PRIV_H

#include <jansson.h>

#include "signet/target.h"

/* Where an error is: the file's name and the member's path. */
struct at {
	const char *file;
	const char *path;
	struct sg_err *err;
};

extern const char *const target_lock_names[]; /* "slots", "readback", "debug" */

__attribute__((format(printf, 2, 3))) int target_bad(const struct at *a, const char *fmt, ...);
/* Refuses members of o not in the NULL-terminated list. */
int target_only(const struct at *a, json_t *o, const char *const *known);
int target_object(const struct at *a, json_t *v, int required);
/* A string member into out (n bytes with the NUL); "" if absent and optional. */
int target_string(const struct at *a, json_t *v, int required, char *out, size_t n);
/* One of the NULL-terminated names; its index in *which. */
int target_one_of(const struct at *a, json_t *v, const char *const *names, int *which);
int target_lock_bits(const struct at *a, json_t *v, uint32_t *bits);

/* The "probe" member (target_probe.c), after the rest of the profile. */
int target_parse_probe(const char *file, json_t *p, struct sg_target *t, struct sg_err *err);

#endif
