/* A fault for the station's tests (test_station_env.sh): a PKCS#11 module
 * that is SoftHSM2 (or the module SIGNET_FAULT_P11_MODULE names), except
 * that C_GenerateRandom fails with CKR_DEVICE_ERROR from its Nth call on
 * (SIGNET_FAULT_P11_RANDOM=N): the token's generator gives out mid-run. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST wrapped;
static CK_C_GenerateRandom real_random;

static CK_RV fault_random(CK_SESSION_HANDLE session, CK_BYTE_PTR buf, CK_ULONG len)
{
	static unsigned long calls;
	const char *from = getenv("SIGNET_FAULT_P11_RANDOM");
	if (from && __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST) >= strtoul(from, NULL, 10))
		return CKR_DEVICE_ERROR;
	return real_random(session, buf, len);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	const char *path = getenv("SIGNET_FAULT_P11_MODULE");
	void *dl = dlopen(path && *path ? path : "/usr/lib/softhsm/libsofthsm2.so",
			  RTLD_NOW | RTLD_LOCAL);
	void *sym = dl ? dlsym(dl, "C_GetFunctionList") : NULL;
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST_PTR real = NULL;
	if (!sym)
		return CKR_GENERAL_ERROR;
	memcpy(&get, &sym, sizeof get);
	CK_RV rv = get(&real);
	if (rv != CKR_OK)
		return rv;
	wrapped = *real;
	real_random = real->C_GenerateRandom;
	wrapped.C_GenerateRandom = fault_random;
	*list = &wrapped;
	return CKR_OK;
}
