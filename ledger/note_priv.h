/* Inside ledger/: the text rules of C2SP signed notes (UTF-8, key names,
 * layout) shared by note.c and checkpoint.c. */
#ifndef SIGNET_NOTE_PRIV_H
#define SIGNET_NOTE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "signet/checkpoint.h"

/* sg_note_name_check of the len bytes at name (not NUL-terminated). */
int sg_note_name_check_n(const char *name, size_t len, const char *what, struct sg_err *err);

/* Whether the len bytes at origin may be a checkpoint origin: 1 to
 * SG_NOTE_NAME_MAX bytes of UTF-8 with no control character. SG_EINPUT
 * naming `what`. */
int sg_checkpoint_origin_check_n(const char *origin, size_t len, const char *what,
				 struct sg_err *err);

/* The structure of a signed note: size bound, UTF-8 without control
 * characters but newline, a final newline, and the last blank line, which
 * ends the text: *text_len is the text's length (final newline included);
 * the signature lines start at text_len + 1 and there is at least one.
 * SG_EINPUT saying what is wrong. */
int sg_note_split(const char *note, size_t len, size_t *text_len, struct sg_err *err);

/* Signs text (text_len bytes, ending in a newline) with the token key
 * hkey, whose public half and name key is: the note, text, blank line and
 * one signature line, into buf (size bytes), length in *len. The signature
 * is checked with key before it is written (SG_EENV when it fails). */
int sg_note_sign_text(struct sg_hsm_key *hkey, const struct sg_note_key *key, const char *text,
		      size_t text_len, char *buf, size_t size, size_t *len, struct sg_err *err);

#endif
