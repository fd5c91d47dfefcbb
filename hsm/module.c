/* Module loading. A module is loaded and C_Initialize'd once
 * per process and path, and shared by reference count: PKCS#11 state is
 * process-wide, so a second context finalizing it would pull the module out
 * from under the first. The bottom of hsm/: nothing here knows tokens or
 * contexts (module_priv.h). */
#include "module_priv.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hsm_module *modules;

const char *hsm_rv_name(CK_RV rv)
{
	static const struct {
		CK_RV rv;
		const char *name;
	} names[] = {
#define N(x) { x, #x }
		N(CKR_OK), N(CKR_CANCEL), N(CKR_HOST_MEMORY), N(CKR_SLOT_ID_INVALID),
		N(CKR_GENERAL_ERROR), N(CKR_FUNCTION_FAILED), N(CKR_ARGUMENTS_BAD),
		N(CKR_ATTRIBUTE_READ_ONLY), N(CKR_ATTRIBUTE_SENSITIVE),
		N(CKR_ATTRIBUTE_TYPE_INVALID), N(CKR_ATTRIBUTE_VALUE_INVALID),
		N(CKR_ACTION_PROHIBITED), N(CKR_DATA_INVALID), N(CKR_DATA_LEN_RANGE),
		N(CKR_DEVICE_ERROR), N(CKR_DEVICE_MEMORY), N(CKR_DEVICE_REMOVED),
		N(CKR_FUNCTION_NOT_SUPPORTED), N(CKR_KEY_HANDLE_INVALID),
		N(CKR_KEY_SIZE_RANGE), N(CKR_KEY_TYPE_INCONSISTENT),
		N(CKR_KEY_FUNCTION_NOT_PERMITTED), N(CKR_MECHANISM_INVALID),
		N(CKR_MECHANISM_PARAM_INVALID), N(CKR_OBJECT_HANDLE_INVALID),
		N(CKR_OPERATION_ACTIVE), N(CKR_OPERATION_NOT_INITIALIZED),
		N(CKR_PIN_INCORRECT), N(CKR_PIN_INVALID), N(CKR_PIN_LEN_RANGE),
		N(CKR_PIN_EXPIRED), N(CKR_PIN_LOCKED), N(CKR_SESSION_CLOSED),
		N(CKR_SESSION_COUNT), N(CKR_SESSION_HANDLE_INVALID),
		N(CKR_SESSION_READ_ONLY), N(CKR_TEMPLATE_INCOMPLETE),
		N(CKR_TEMPLATE_INCONSISTENT), N(CKR_TOKEN_NOT_PRESENT),
		N(CKR_TOKEN_NOT_RECOGNIZED), N(CKR_TOKEN_WRITE_PROTECTED),
		N(CKR_USER_ALREADY_LOGGED_IN), N(CKR_USER_NOT_LOGGED_IN),
		N(CKR_USER_PIN_NOT_INITIALIZED), N(CKR_USER_TYPE_INVALID),
		N(CKR_DOMAIN_PARAMS_INVALID), N(CKR_CURVE_NOT_SUPPORTED),
		N(CKR_BUFFER_TOO_SMALL), N(CKR_CRYPTOKI_NOT_INITIALIZED),
		N(CKR_CRYPTOKI_ALREADY_INITIALIZED),
#undef N
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	static _Thread_local char other[32];
	snprintf(other, sizeof(other), "CKR 0x%lx", (unsigned long)rv);
	return other;
}

void hsm_backoff(unsigned attempt)
{
	unsigned ms = attempt < 6 ? 5u << attempt : 200;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Jitter, so processes that collided once do not collide again. */
	unsigned long jitter = ((unsigned long)now.tv_nsec ^ (unsigned long)getpid() * 2654435761u) %
			       (ms / 2 + 1);
	struct timespec d = { 0, (long)(ms + jitter) * 1000000L };
	while (nanosleep(&d, &d) != 0 && errno == EINTR)
		;
}

bool hsm_rv_transient(CK_RV rv)
{
	/* SoftHSM2 answers these when another process rewrites the token
	 * file under it (a half-read token has no user PIN flag). */
	return rv == CKR_GENERAL_ERROR || rv == CKR_USER_PIN_NOT_INITIALIZED ||
	       rv == CKR_TOKEN_NOT_RECOGNIZED || rv == CKR_TOKEN_NOT_PRESENT ||
	       rv == CKR_DEVICE_ERROR;
}

static int module_open(const char *path, struct hsm_module *m, struct sg_err *err)
{
	m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!m->dl)
		return sg_errf(err, SG_EENV, "module %s: cannot load: %s", path, dlerror());
	CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(m->dl, "C_GetFunctionList");
	if (!get) {
		dlclose(m->dl);
		return sg_errf(err, SG_EENV, "module %s: not a PKCS#11 module (no C_GetFunctionList)",
			       path);
	}
	CK_RV rv = get(&m->f);
	if (rv != CKR_OK || !m->f) {
		dlclose(m->dl);
		return sg_errf(err, SG_EENV, "module %s: C_GetFunctionList failed: %s", path,
			       hsm_rv_name(rv));
	}
	/* We call the module from one thread at a time, but other code in the
	 * process may not: let the module use OS locking. */
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	rv = m->f->C_Initialize(&args);
	if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		m->finalize = false; /* someone else (libp11?) owns it */
	} else if (rv == CKR_OK) {
		m->finalize = true;
	} else {
		dlclose(m->dl);
		return sg_errf(err, SG_EENV, "module %s: C_Initialize failed: %s", path,
			       hsm_rv_name(rv));
	}
	return SG_OK;
}

void hsm_module_put(struct hsm_module *m)
{
	pthread_mutex_lock(&modules_lock);
	if (--m->refs == 0) {
		struct hsm_module **pp = &modules;
		while (*pp != m)
			pp = &(*pp)->next;
		*pp = m->next;
		if (m->finalize)
			m->f->C_Finalize(NULL);
		dlclose(m->dl);
		free(m->path);
		free(m);
	}
	pthread_mutex_unlock(&modules_lock);
}

int hsm_module_get(const char *path, struct hsm_module **out, struct sg_err *err)
{
	/* One module per file, however it is spelt (symlinks, relative). */
	char real[PATH_MAX];
	if (strchr(path, '/')) {
		if (!realpath(path, real))
			return sg_errf(err, SG_EENV, "module %s: cannot load: %s", path,
				       strerror(errno));
		path = real;
	}
	int rc = SG_OK;
	pthread_mutex_lock(&modules_lock);
	struct hsm_module *m;
	for (m = modules; m; m = m->next)
		if (strcmp(m->path, path) == 0)
			break;
	if (m) {
		m->refs++;
	} else if (!(m = calloc(1, sizeof(*m))) || !(m->path = strdup(path))) {
		free(m);
		rc = sg_errf(err, SG_EENV, "out of memory");
	} else if ((rc = module_open(path, m, err)) != SG_OK) {
		free(m->path);
		free(m);
	} else {
		m->refs = 1;
		m->next = modules;
		modules = m;
	}
	pthread_mutex_unlock(&modules_lock);
	if (rc == SG_OK)
		*out = m;
	return rc;
}

int hsm_module_reinit(struct hsm_module *m, struct sg_err *err)
{
	int rc = SG_FAIL;
	pthread_mutex_lock(&modules_lock);
	if (m->finalize && m->refs == 1) {
		m->f->C_Finalize(NULL);
		CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
		CK_RV rv = m->f->C_Initialize(&args);
		rc = rv == CKR_OK ? SG_OK
				  : sg_errf(err, SG_EENV, "module %s: C_Initialize failed: %s",
					    m->path, hsm_rv_name(rv));
	}
	pthread_mutex_unlock(&modules_lock);
	return rc;
}
