/* A PKCS#11 module for tests that forwards every call to a real module
 * (SoftHSM2) and tells one lie, chosen by the environment, so a test can
 * show what signet does with a token that does not keep its promises:
 *
 *   SIGNET_FAULT_PKCS11_MODULE  the real module (default SoftHSM2's)
 *   SIGNET_FAULT                the lie:
 *     extractable    C_GetAttributeValue answers CKA_EXTRACTABLE true
 *     not-sensitive  C_GetAttributeValue answers CKA_SENSITIVE false
 *     (unset or anything else: no lie at all)
 *   SIGNET_FAULT_RANDOM=N       C_GenerateRandom fails with CKR_DEVICE_ERROR
 *                               from its Nth call on: the token's generator
 *                               gives out mid-run
 *
 * Objects are really created and destroyed by the real module, so what is
 * left on its token afterwards is what the real module (or pkcs11-tool on
 * it) shows. Only C_GetFunctionList is exported; nothing but signet's tests
 * loads it. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST real_copy, faulty;
static CK_FUNCTION_LIST *real;

static CK_RV faulty_get_attribute_value(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
					 CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	CK_RV rv = real->C_GetAttributeValue(s, o, t, n);
	const char *lie = getenv("SIGNET_FAULT");
	if (rv != CKR_OK || !lie)
		return rv;
	for (CK_ULONG i = 0; i < n; i++) {
		if (!t[i].pValue || t[i].ulValueLen != sizeof(CK_BBOOL))
			continue;
		if (t[i].type == CKA_EXTRACTABLE && strcmp(lie, "extractable") == 0)
			*(CK_BBOOL *)t[i].pValue = CK_TRUE;
		if (t[i].type == CKA_SENSITIVE && strcmp(lie, "not-sensitive") == 0)
			*(CK_BBOOL *)t[i].pValue = CK_FALSE;
	}
	return rv;
}

static CK_RV faulty_generate_random(CK_SESSION_HANDLE s, CK_BYTE_PTR buf, CK_ULONG len)
{
	static unsigned long calls;
	const char *from = getenv("SIGNET_FAULT_RANDOM");
	if (from && __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST) >= strtoul(from, NULL, 10))
		return CKR_DEVICE_ERROR;
	return real->C_GenerateRandom(s, buf, len);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	if (!list)
		return CKR_ARGUMENTS_BAD;
	if (!real) {
		const char *path = getenv("SIGNET_FAULT_PKCS11_MODULE");
		void *dl = dlopen(path ? path : "/usr/lib/softhsm/libsofthsm2.so",
				  RTLD_NOW | RTLD_LOCAL);
		CK_C_GetFunctionList get = dl ? (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList")
					      : NULL;
		CK_FUNCTION_LIST *f = NULL;
		if (!get || get(&f) != CKR_OK || !f)
			return CKR_GENERAL_ERROR;
		real_copy = *f;
		real = &real_copy;
		faulty = *f;
		faulty.C_GetFunctionList = C_GetFunctionList;
		faulty.C_GetAttributeValue = faulty_get_attribute_value;
		faulty.C_GenerateRandom = faulty_generate_random;
	}
	*list = &faulty;
	return CKR_OK;
}
