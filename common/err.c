#include "signet/err.h"

#include <stdarg.h>
#include <stdio.h>

static int set(struct sg_err *err, int status, const char *param, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int set(struct sg_err *err, int status, const char *param, const char *fmt, va_list ap)
{
	if (err) {
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		err->status = status;
		err->param = param;
	}
	return status;
}

/* (sg_errf): the name in parentheses is not the analyzer-only macro of
 * signet/err.h. */
int (sg_errf)(struct sg_err *err, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set(err, status, NULL, fmt, ap);
	va_end(ap);
	return status;
}

int (sg_errf_param)(struct sg_err *err, int status, const char *param, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set(err, status, param, fmt, ap);
	va_end(ap);
	return status;
}
