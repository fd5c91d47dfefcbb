/* Debug connections: the spec table (signet/dbg.h). */
#include <string.h>

#include "signet/dbg.h"

int sg_dbg_open(const char *spec, int timeout_ms, struct sg_dbg **d, struct sg_err *err)
{
	*d = NULL;
	if (!strncmp(spec, "gdb:", 4) && spec[4])
		return sg_dbg_gdb_open(spec + 4, spec, timeout_ms, d, err);
	if (!strcmp(spec, "cmsis-dap") || (!strncmp(spec, "cmsis-dap:", 10) && spec[10]))
		return sg_dbg_cmsis_dap_open(spec[9] ? spec + 10 : "", spec, timeout_ms, d, err);
	return sg_errf_param(err, SG_EINPUT, "fixture",
			     "%s: not a debug connection (gdb:HOST:PORT or cmsis-dap[:SERIAL])", spec);
}
