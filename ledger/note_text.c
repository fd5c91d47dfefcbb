/* The text rules of C2SP signed notes (note_priv.h): UTF-8, key names,
 * the note's layout. */
#include "note_priv.h"

#include <stdbool.h>
#include <string.h>

/* Length of the UTF-8 sequence at s (n > 0 bytes left), its code point in
 * *cp; 0 when invalid: truncated, overlong, a surrogate, above U+10FFFF. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0)
		len = 2, c &= 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		len = 3, c &= 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Unicode White_Space: what the note spec (and Go's unicode.IsSpace)
 * forbids in key names. */
static bool unicode_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

/* 1 to SG_NOTE_NAME_MAX bytes of UTF-8, no control character; and for a
 * key name (is_key_name) no Unicode space and no '+'. */
static int line_check(const char *name, size_t len, bool is_key_name, const char *what,
		      struct sg_err *err)
{
	if (len == 0)
		return sg_errf(err, SG_EINPUT, "%s is empty", what);
	if (len > SG_NOTE_NAME_MAX)
		return sg_errf(err, SG_EINPUT, "%s is longer than %d bytes", what,
			       SG_NOTE_NAME_MAX);
	const unsigned char *s = (const unsigned char *)name;
	for (size_t i = 0, step; i < len; i += step) {
		uint32_t c;
		if (!(step = utf8_next(s + i, len - i, &c)))
			return sg_errf(err, SG_EINPUT, "%s is not UTF-8 (byte %zu)", what, i);
		if (is_key_name && unicode_space(c))
			return sg_errf(err, SG_EINPUT, "%s contains a space", what);
		if (c < 0x20)
			return sg_errf(err, SG_EINPUT, "%s contains a control character", what);
		if (is_key_name && c == '+')
			return sg_errf(err, SG_EINPUT, "%s contains '+'", what);
	}
	return SG_OK;
}

int sg_note_name_check_n(const char *name, size_t len, const char *what, struct sg_err *err)
{
	return line_check(name, len, true, what, err);
}

int sg_note_name_check(const char *name, const char *what, struct sg_err *err)
{
	return line_check(name, strnlen(name, SG_NOTE_NAME_MAX + 1), true, what, err);
}

int sg_checkpoint_origin_check_n(const char *origin, size_t len, const char *what,
				 struct sg_err *err)
{
	return line_check(origin, len, false, what, err);
}

/* The whole note is UTF-8 with no control character but newline. */
static int note_text_check(const char *note, size_t len, struct sg_err *err)
{
	const unsigned char *s = (const unsigned char *)note;
	for (size_t i = 0, step; i < len; i += step) {
		uint32_t c;
		if (!(step = utf8_next(s + i, len - i, &c)))
			return sg_errf(err, SG_EINPUT, "signed note: not UTF-8 (byte %zu)", i);
		if (c == '\r')
			return sg_errf(
				err, SG_EINPUT,
				"signed note: carriage return at byte %zu (lines end in LF only)",
				i);
		if (c < 0x20 && c != '\n')
			return sg_errf(err, SG_EINPUT,
				       "signed note: control character 0x%02x at byte %zu",
				       (unsigned)c, i);
	}
	return SG_OK;
}

int sg_note_split(const char *note, size_t len, size_t *text_len, struct sg_err *err)
{
	if (len > SG_NOTE_MAX)
		return sg_errf(err, SG_EINPUT, "signed note: larger than %d bytes", SG_NOTE_MAX);
	int rc = note_text_check(note, len, err);
	if (rc)
		return rc;
	if (len == 0 || note[len - 1] != '\n')
		return sg_errf(err, SG_EINPUT, "signed note: does not end in a newline");
	/* The last empty line separates the text from the signatures. */
	size_t i = len - 1;
	while (i > 0 && !(note[i] == '\n' && note[i - 1] == '\n'))
		i--;
	if (i == 0)
		return sg_errf(err, SG_EINPUT,
			       "signed note: no blank line before the signature lines");
	if (i + 1 == len)
		return sg_errf(err, SG_EINPUT,
			       "signed note: no signature line after the blank line");
	*text_len = i;
	return SG_OK;
}
