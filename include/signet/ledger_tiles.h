/* A ledger as a C2SP tlog-tiles directory (docs/ledger.md, "Tiles"): the
 * static files any tlog-tiles client reads to check the latest checkpoint,
 * fetch records and compute proofs, with no signet code.
 *
 * Exactly the tiles of the latest stored checkpoint's tree are written
 * (records appended after it are not). Incremental: a full tile or bundle
 * already in the directory is never rewritten (it cannot change); partial
 * ones are new files (their width is in the name) and older partial tiles
 * stay, so clients holding an older checkpoint still find theirs. Files
 * are replaced atomically and made durable together before the checkpoint
 * file is written last: a reader never sees a checkpoint whose tiles are
 * not there, even after a crash. */
#ifndef SIGNET_LEDGER_TILES_H
#define SIGNET_LEDGER_TILES_H

#include <stdint.h>

#include "signet/err.h"
#include "signet/ledger.h"

struct sg_tiles_result {
	uint64_t size;          /* the checkpoint's tree size */
	unsigned long written;  /* files written, the checkpoint included */
	unsigned long kept;     /* files already there */
};

/* Writes dir/checkpoint, dir/tile/L/N[.p/W] and dir/tile/entries/N[.p/W].
 * SG_FAIL when the ledger has no checkpoint; SG_EINPUT when a record is
 * longer than an entry bundle can hold (65,535 bytes); SG_EENV for I/O. */
int sg_ledger_tiles_export(struct sg_ledger *l, const char *dir, struct sg_tiles_result *res,
			   struct sg_err *err);

/* The path of tile index n under a level ("x001/x234/067" for 1234067) and
 * an optional partial width (".p/W" when w is 1..255), into out. */
void sg_tiles_path(uint64_t n, unsigned w, char *out, size_t size);

#endif
