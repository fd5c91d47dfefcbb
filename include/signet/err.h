/* Errors and exit statuses shared by every signet library.
 *
 * A library function that can fail returns one of the sg_status values and,
 * when it fails, fills a caller-owned struct sg_err with one line naming the
 * object and the reason. The CLI prints that line once, at the edge, and
 * exits with the status. Secrets never go into messages. */
#ifndef SIGNET_ERR_H
#define SIGNET_ERR_H

enum sg_status {
	SG_OK = 0,
	SG_FAIL = 1,   /* verification or policy failure: the answer is "no" */
	SG_EINPUT = 2, /* usage error or malformed input */
	SG_EENV = 3,   /* HSM, device, I/O or environment failure */
};

struct sg_err {
	int status;
	char msg[512];
	/* The caller's parameter the error is about, by the name the library's
	 * interface gives it (an option field: "trust_root", "max_span"), or
	 * NULL. Messages never spell a front end's options; a front end maps
	 * this to its own (the CLI adds "--trust-root"). */
	const char *param;
};

/* Sets err (if not NULL) and returns status, so callers can write
 * `return sg_errf(err, SG_EINPUT, "%s: truncated", path);` */
int sg_errf(struct sg_err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same, naming the parameter the error is about (err->param). */
int sg_errf_param(struct sg_err *err, int status, const char *param, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#ifdef __clang_analyzer__
/* For clang's static analyzer only (scripts/static-analysis.sh): it checks
 * one file at a time and cannot see that these return status, so it would
 * follow `rc = ... : sg_errf(...); if (!rc)` paths that never happen. */
#define sg_errf(err, status, ...) (sg_errf(err, status, __VA_ARGS__), (status))
#define sg_errf_param(err, status, ...) (sg_errf_param(err, status, __VA_ARGS__), (status))
#endif

#endif
