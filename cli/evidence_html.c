/* signet evidence: index.html, the pack's index for a person to read. A
 * function of index.json alone, so that verify can render it again and
 * compare. One page: inline CSS, no script, nothing fetched (its
 * Content-Security-Policy lets the browser fetch and run nothing); every
 * text from the index is escaped. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}"
	"h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;margin:8px 0}"
	"th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
	"th{background:#eef}td.n{text-align:right}.mono{font-family:monospace;word-break:break-all}"
	".ok{color:#1b6e2d;font-weight:bold}.no{color:#b71c1c;font-weight:bold}"
	".none{color:#777}";

/* s as HTML text or attribute value. */
static void text(FILE *fp, const char *s)
{
	static const char *const ent[] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;",
					   ['"'] = "&quot;", ['\''] = "&#39;" };
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < sizeof ent / sizeof ent[0] && ent[c])
			fputs(ent[c], fp);
		else
			fputc(c, fp);
	}
}

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* An item of a list cell: a string, or a certificate's or CRL's name and
 * SHA-256. */
static void item(FILE *fp, const json_t *v)
{
	if (!json_is_object(v)) {
		text(fp, json_string_value(v));
		return;
	}
	const char *name = json_string_value(json_object_get(v, "subject"));
	text(fp, name ? name : json_string_value(json_object_get(v, "issuer")));
	fputs(" <span class=\"none\">SHA-256</span> ", fp);
	text(fp, json_string_value(json_object_get(v, "sha256")));
}

/* A cell holding any JSON value: a string, a number, true/false, a list
 * (one item a line), or "-". */
static void cell(FILE *fp, const json_t *v, const char *cls)
{
	fprintf(fp, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	if (json_is_array(v) && json_array_size(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			fputs(i ? "<br>" : "", fp);
			item(fp, e);
		}
	} else if (json_is_string(v))
		text(fp, json_string_value(v));
	else if (json_is_integer(v))
		fprintf(fp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "yes" : "no", fp);
	else
		fputs("<span class=\"none\">-</span>", fp);
	fputs("</td>", fp);
}

/* A verdict cell: valid, not valid (with the reason), or not checked. */
static void verdict(FILE *fp, const json_t *valid, const json_t *reason)
{
	if (json_is_true(valid))
		fputs("<td class=\"ok\" data-valid=\"true\">valid</td>", fp);
	else if (json_is_false(valid))
		fputs("<td data-valid=\"false\"><span class=\"no\">not valid</span>: ", fp);
	else
		fputs("<td data-valid=\"null\"><span class=\"none\">not checked</span>: ", fp);
	if (!json_is_true(valid)) {
		text(fp, json_string_value(reason));
		fputs("</td>", fp);
	}
}

static void row(FILE *fp, const char *label, const json_t *v)
{
	fputs("<tr><th>", fp);
	text(fp, label);
	fputs("</th>", fp);
	cell(fp, v, "mono");
	fputs("</tr>\n", fp);
}

static void head(FILE *fp, const json_t *idx)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<title>signet evidence pack</title>\n<style>",
	      fp);
	fputs(css, fp);
	fputs("</style></head>\n<body>\n<h1>signet evidence pack</h1>\n<table id=\"pack\">\n", fp);
	row(fp, "kind", json_object_get(idx, "kind"));
	row(fp, "created", json_object_get(idx, "created"));
	row(fp, "signet version", json_object_get(idx, "signet_version"));
	row(fp, "signet's own SBOM", json_object_get(json_object_get(idx, "signet_sbom"), "file"));
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(idx, "scope"), k, v) {
		char label[80];
		snprintf(label, sizeof label, "scope: %s", k);
		row(fp, label, v);
	}
	fputs("</table>\n<p>Check the whole pack offline with <code>signet evidence verify "
	      "DIR</code> (docs/evidence.md).</p>\n",
	      fp);
}

static void chains(FILE *fp, const json_t *list)
{
	size_t i;
	json_t *c;
	fputs("<td>", fp);
	json_array_foreach(list, i, c) {
		fputs("<div class=\"chain\">", fp);
		text(fp, str(c, "file") ? str(c, "file") : "(not X.509)");
		fputs(": ", fp);
		const json_t *valid = json_object_get(c, "valid");
		fputs(json_is_true(valid) ? "<span class=\"ok\">valid</span>"
		      : json_is_false(valid) ? "<span class=\"no\">not valid</span> "
					     : "<span class=\"none\">not checked</span> ",
		      fp);
		text(fp, str(c, "reason"));
		fputs("</div>", fp);
	}
	if (!i)
		fputs("<span class=\"none\">none</span>", fp);
	fputs("</td>", fp);
}

static void releases(FILE *fp, const json_t *list)
{
	size_t i;
	json_t *r;
	if (!json_array_size(list))
		return;
	fputs("<h2>Releases</h2>\n<table id=\"releases\">\n<tr><th>envelope</th><th>format</th>"
	      "<th>version</th><th>digest</th><th>SBOM</th><th>signers (key ids)</th>"
	      "<th>certificate chains</th><th>verified against the trust roots</th></tr>\n",
	      fp);
	json_array_foreach(list, i, r) {
		const json_t *sbom = json_object_get(r, "sbom"), *ver = json_object_get(r, "verification");
		fputs("<tr data-release=\"\">", fp);
		cell(fp, json_object_get(r, "envelope"), "mono");
		cell(fp, json_object_get(r, "format"), NULL);
		cell(fp, json_object_get(r, "version"), NULL);
		cell(fp, json_object_get(json_object_get(r, "digest"), "value"), "mono");
		fputs("<td>", fp);
		text(fp, json_is_object(sbom) ? str(sbom, "status") : "none bound");
		if (json_is_object(sbom) && str(sbom, "file")) {
			fputs(": ", fp);
			text(fp, str(sbom, "file"));
		}
		fputs("</td>", fp);
		cell(fp, json_object_get(r, "key_ids"), "mono");
		chains(fp, json_object_get(r, "chains"));
		if (json_is_object(ver))
			verdict(fp, json_object_get(ver, "valid"), json_object_get(ver, "reason"));
		else
			fputs("<td><span class=\"none\">no trust root given</span></td>", fp);
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

/* A table of objects, one row each, with the columns named. */
static void table(FILE *fp, const char *id, const char *title, const json_t *list,
		  const char *const *cols)
{
	size_t i;
	json_t *o;
	if (!json_array_size(list))
		return;
	fprintf(fp, "<h2>%s</h2>\n<table id=\"%s\">\n<tr>", title, id);
	for (const char *const *c = cols; *c; c++)
		fprintf(fp, "<th>%s</th>", *c);
	fputs("</tr>\n", fp);
	json_array_foreach(list, i, o) {
		fputs("<tr>", fp);
		for (const char *const *c = cols; *c; c++) {
			cell(fp, json_object_get(o, *c), "mono");
		}
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

static void ledger(FILE *fp, const json_t *l, bool units)
{
	static const char *const rel_cols[] = { "index", "time", "type", "origin", "about", "proof", NULL };
	static const char *const unit_cols[] = { "index", "time", "type", "origin", "status", "proof", NULL };
	if (!json_is_object(l))
		return;
	fputs("<h2>Ledger checkpoint</h2>\n<table id=\"ledger\">\n", fp);
	row(fp, "origin", json_object_get(l, "origin"));
	row(fp, "tree size", json_object_get(l, "tree_size"));
	row(fp, "root", json_object_get(l, "root"));
	row(fp, "signed note", json_object_get(l, "checkpoint"));
	row(fp, "key", json_object_get(l, "key"));
	row(fp, "verifier key", json_object_get(l, "vkey"));
	fputs("</table>\n", fp);
	table(fp, "records", "Records in scope, each with its inclusion proof",
	      json_object_get(l, "records"), units ? unit_cols : rel_cols);
}

static void tally_table(FILE *fp, const char *id, const char *what, const json_t *obj)
{
	const char *k;
	json_t *t;
	fprintf(fp, "<table id=\"%s\">\n<tr><th>%s</th><th>records</th><th>pass</th><th>fail</th>"
		    "<th>quarantine</th></tr>\n", id, what);
	json_object_foreach((json_t *)obj, k, t) {
		fputs("<tr><td class=\"mono\">", fp);
		text(fp, k);
		fputs("</td>", fp);
		static const char *const cols[] = { "records", "pass", "fail", "quarantine" };
		for (size_t i = 0; i < 4; i++) {
			fprintf(fp, "<td class=\"n\" data-count=\"%s\">", cols[i]);
			fprintf(fp, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(t, cols[i])));
			fputs("</td>", fp);
		}
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

static void units(FILE *fp, const json_t *u)
{
	if (!json_is_object(u))
		return;
	json_t *total = json_pack("{s:O}", "all stations", json_object_get(u, "total"));
	fputs("<h2>Units</h2>\n", fp);
	tally_table(fp, "units-total", "", total);
	fputs("<h2>Units per station</h2>\n", fp);
	tally_table(fp, "units-by-station", "station (origin)", json_object_get(u, "by_station"));
	fputs("<h2>Units per day (UTC)</h2>\n", fp);
	tally_table(fp, "units-by-day", "day", json_object_get(u, "by_day"));
	json_decref(total);
}

int ev_html(const json_t *idx, char **out, size_t *len)
{
	static const char *const file_cols[] = { "path", "kind", "size", "sha256", NULL };
	static const char *const sbom_cols[] = { "file", "kind", "spec_version", "sha256", NULL };
	static const char *const root_cols[] = { "file", "certificates", NULL };
	static const char *const crl_cols[] = { "file", "crls", NULL };
	FILE *fp = open_memstream(out, len);
	if (!fp)
		return SG_EENV;
	head(fp, idx);
	releases(fp, json_object_get(idx, "releases"));
	table(fp, "sboms", "SBOMs", json_object_get(idx, "sboms"), sbom_cols);
	table(fp, "trust-roots", "Trust roots", json_object_get(idx, "trust_roots"), root_cols);
	table(fp, "crls", "CRLs", json_object_get(idx, "crls"), crl_cols);
	bool is_units = json_is_object(json_object_get(idx, "units"));
	ledger(fp, json_object_get(idx, "ledger"), is_units);
	units(fp, json_object_get(idx, "units"));
	table(fp, "files", "Files (SHA-256)", json_object_get(idx, "files"), file_cols);
	fputs("</body></html>\n", fp);
	return fclose(fp) ? SG_EENV : SG_OK;
}
