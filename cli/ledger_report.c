/* signet ledger report: the auditor's page (docs/ledger.md, "The auditor's
 * report"). The counting is the library's (signet/ledger_report.h); this
 * file writes one self-contained HTML page of it: inline CSS and SVG, no
 * script, nothing fetched. Every text taken from a record is escaped. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ledger.h"
#include "signet/atomic_file.h"
#include "signet/base64.h"
#include "signet/ledger_report.h"

/* Text as HTML element content or attribute value: untrusted. */
static void esc(FILE *fp, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default: fputc(*s, fp);
		}
	}
}

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}"
	"h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;margin:8px 0}"
	"th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
	"th{background:#eef}td{white-space:nowrap}td.n{text-align:right}"
	".mono{font-family:monospace}td.wrap{white-space:normal;word-break:break-all}"
	"pre{background:#f4f4f4;padding:8px;white-space:pre-wrap;word-break:break-all}"
	".pass{fill:#2a8a3e}.fail{fill:#c62828}.quarantine{fill:#e09b00}"
	".rel{fill:#1f5fbf}.axis{stroke:#555}.lbl{font:12px sans-serif;fill:#333}"
	".key{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}";

/* ---- the summary and the group tables */

static void count_row(FILE *fp, const char *label, const char *id, uint64_t n)
{
	fprintf(fp, "<tr><th>%s</th><td class=\"n\" data-count=\"%s\">%" PRIu64 "</td></tr>\n",
		label, id, n);
}

static void summary(FILE *fp, const struct sg_report *rep)
{
	struct sg_report_tally t = sg_report_total(rep);
	fputs("<h2>Summary</h2>\n<table id=\"summary\">\n", fp);
	count_row(fp, "Records", "records", sg_report_records(rep));
	count_row(fp, "Units passed (unit.locked)", "units-pass", t.pass);
	count_row(fp, "Units failed (unit.failed)", "units-fail", t.fail);
	count_row(fp, "Units quarantined (unit.quarantined)", "units-quarantine", t.quarantine);
	count_row(fp, "Releases signed", "releases", t.releases);
	count_row(fp, "Certificates issued", "certs-issued",
		  sg_report_type_count(rep, "cert.issued"));
	count_row(fp, "Certificates revoked", "certs-revoked",
		  sg_report_type_count(rep, "cert.revoked"));
	count_row(fp, "CRLs issued", "crls", sg_report_type_count(rep, "crl.issued"));
	fputs("</table>\n", fp);
}

/* A station's cells: every outcome and its releases; a reason's: the
 * failures and quarantines it stands for. */
static void tally_cells(FILE *fp, const struct sg_report_tally *t, bool station)
{
	if (station)
		fprintf(fp, "<td class=\"n\" data-count=\"pass\">%" PRIu64 "</td>", t->pass);
	fprintf(fp,
		"<td class=\"n\" data-count=\"fail\">%" PRIu64 "</td>"
		"<td class=\"n\" data-count=\"quarantine\">%" PRIu64 "</td>",
		t->fail, t->quarantine);
	if (station)
		fprintf(fp, "<td class=\"n\" data-count=\"releases\">%" PRIu64 "</td>",
			t->releases);
}

/* A table of groups (origins or reasons); attr names each row's group. */
static void group_table(FILE *fp, const char *title, const char *attr,
			const struct sg_report_group *g, size_t n,
			const struct sg_report_tally *other, bool station)
{
	fprintf(fp, "<h2>%s</h2>\n<table id=\"by-%s\">\n<tr><th>%s</th>%s"
		    "<th>fail</th><th>quarantine</th>%s</tr>\n",
		title, attr, attr, station ? "<th>pass</th>" : "",
		station ? "<th>releases</th>" : "");
	for (size_t i = 0; i < n; i++) {
		fprintf(fp, "<tr data-%s=\"", attr);
		esc(fp, g[i].name);
		fputs("\"><td class=\"mono\">", fp);
		esc(fp, g[i].name);
		fputs("</td>", fp);
		tally_cells(fp, &g[i].t, station);
		fputs("</tr>\n", fp);
	}
	if (other->pass || other->fail || other->quarantine || other->releases) {
		fprintf(fp, "<tr data-%s-other=\"\"><td>(beyond the first %d names)</td>", attr,
			SG_REPORT_GROUPS_MAX);
		tally_cells(fp, other, station);
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
	if (n == 0)
		fputs("<p>None in these records.</p>\n", fp);
}

/* ---- the chart: units per day (stacked pass, fail, quarantine) and
 * releases (a dot), in at most CHART_BARS bars of one or more days */

#define CHART_BARS 366
#define CHART_W 1200
#define CHART_H 260
#define CHART_LEFT 60
#define CHART_TOP 10

static uint64_t units(const struct sg_report_tally *t)
{
	return t->pass + t->fail + t->quarantine;
}

static void bar(FILE *fp, const char *cls, double x, double w, double y0, double h)
{
	if (h > 0)
		fprintf(fp, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\"/>",
			cls, x, y0 - h, w, h);
}

static void chart_bars(FILE *fp, const struct sg_report_tally *b, size_t nb, int64_t first,
		       int64_t per, uint64_t max)
{
	double w = (double)CHART_W / (double)nb, base = CHART_TOP + CHART_H;
	double bw = w * 0.8 < 40 ? w * 0.8 : 40;
	double scale = (double)CHART_H / (double)max;
	for (size_t i = 0; i < nb; i++) {
		char from[CLI_UTC_MAX], to[CLI_UTC_MAX];
		double x = CHART_LEFT + w * (double)i + (w - bw) / 2, y = base;
		if (!units(&b[i]) && !b[i].releases)
			continue;
		cli_utc((uint64_t)((first + (int64_t)i * per) * 86400), from, true);
		cli_utc((uint64_t)((first + (int64_t)i * per + per - 1) * 86400), to, true);
		fprintf(fp, "<g><title>%s%s%s: %" PRIu64 " pass, %" PRIu64 " fail, %" PRIu64
			    " quarantine, %" PRIu64 " releases</title>",
			from, per > 1 ? " to " : "", per > 1 ? to : "", b[i].pass, b[i].fail,
			b[i].quarantine, b[i].releases);
		bar(fp, "pass", x, bw, y, scale * (double)b[i].pass);
		y -= scale * (double)b[i].pass;
		bar(fp, "fail", x, bw, y, scale * (double)b[i].fail);
		y -= scale * (double)b[i].fail;
		bar(fp, "quarantine", x, bw, y, scale * (double)b[i].quarantine);
		if (b[i].releases)
			fprintf(fp, "<circle class=\"rel\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\"/>",
				x + bw / 2, base - scale * (double)b[i].releases);
		fputs("</g>\n", fp);
	}
}

/* Dates under the first and last bar, and under four bars between when
 * there are enough bars to tell them apart; tick marks under them. */
static void chart_dates(FILE *fp, int64_t first, int64_t per, size_t nb)
{
	double w = (double)CHART_W / (double)nb;
	int base = CHART_TOP + CHART_H;
	for (size_t k = 0; k <= 5; k++) {
		size_t i = k == 5 ? nb - 1 : nb * k / 5;
		char date[CLI_UTC_MAX];
		if ((k > 0 && k < 5 && nb < 10) || (k == 5 && nb == 1))
			continue;
		cli_utc((uint64_t)((first + (int64_t)i * per) * 86400), date, true);
		double x = CHART_LEFT + w * ((double)i + 0.5);
		fprintf(fp,
			"<line class=\"axis\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			"<text class=\"lbl\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>\n",
			x, base, x, base + 4, k == 0 ? (double)CHART_LEFT : k == 5 ? CHART_LEFT + CHART_W : x,
			base + 18, k == 0 ? "start" : k == 5 ? "end" : "middle", date);
	}
}

static void chart_axes(FILE *fp, uint64_t max)
{
	int base = CHART_TOP + CHART_H;
	fprintf(fp,
		"<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		"<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		"<text class=\"lbl\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%" PRIu64 "</text>"
		"<text class=\"lbl\" x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n",
		CHART_LEFT - 2, base, CHART_LEFT + CHART_W, base, CHART_LEFT - 2, CHART_TOP,
		CHART_LEFT - 2, base, CHART_LEFT - 6, CHART_TOP + 12, max, CHART_LEFT - 6, base);
}

/* The days in bars of `per` days; NULL when out of memory. */
static struct sg_report_tally *chart_bucket(const struct sg_report_day *d, size_t n, int64_t per,
					    size_t nb, uint64_t *max)
{
	struct sg_report_tally *b = calloc(nb, sizeof *b);
	*max = 1;
	for (size_t i = 0; b && i < n; i++) {
		struct sg_report_tally *t = &b[(d[i].day - d[0].day) / per];
		t->pass += d[i].t.pass;
		t->fail += d[i].t.fail;
		t->quarantine += d[i].t.quarantine;
		t->releases += d[i].t.releases;
		if (units(t) > *max)
			*max = units(t);
		if (t->releases > *max)
			*max = t->releases;
	}
	return b;
}

static int chart(FILE *fp, const struct sg_report *rep)
{
	size_t n;
	uint64_t max;
	struct sg_report_tally other;
	const struct sg_report_day *d = sg_report_days(rep, &n, &other);
	fputs("<h2>Units and releases by day (UTC)</h2>\n", fp);
	if (n == 0) {
		fputs("<p>No unit outcomes or releases in these records.</p>\n", fp);
		return SG_OK;
	}
	int64_t span = d[n - 1].day - d[0].day + 1;
	int64_t per = (span + CHART_BARS - 1) / CHART_BARS;
	size_t nb = (size_t)((span + per - 1) / per);
	struct sg_report_tally *b = chart_bucket(d, n, per, nb, &max);
	if (!b)
		return SG_EENV;
	fprintf(fp,
		"<p><span class=\"key\" style=\"background:#2a8a3e\"></span>pass"
		"<span class=\"key\" style=\"background:#c62828\"></span>fail"
		"<span class=\"key\" style=\"background:#e09b00\"></span>quarantine"
		"<span class=\"key\" style=\"background:#1f5fbf;border-radius:6px\"></span>releases"
		" &mdash; %" PRId64 " day%s per bar (hover a bar for its counts)</p>\n"
		"<svg id=\"chart\" data-days=\"%zu\" data-bars=\"%zu\" width=\"100%%\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"units and releases by day\">\n",
		per, per > 1 ? "s" : "", n, nb, CHART_LEFT + CHART_W + 10, CHART_TOP + CHART_H + 30);
	chart_bars(fp, b, nb, d[0].day, per, max);
	chart_axes(fp, max);
	chart_dates(fp, d[0].day, per, nb);
	fputs("</svg>\n", fp);
	if (units(&other) || other.releases)
		fprintf(fp, "<p>Not drawn: %" PRIu64 " units and %" PRIu64 " releases on days the "
			    "chart does not keep (it keeps %d days; the counts above include "
			    "them).</p>\n",
			units(&other), other.releases, SG_REPORT_DAYS_MAX);
	free(b);
	return SG_OK;
}

/* ---- the lists */

static const struct {
	enum sg_report_list list;
	const char *id, *title, *show;
} lists[] = {
	{ SG_REPORT_FAILURES, "failures", "Failures and quarantines",
	  "signet ledger show --status fail (and --status quarantine)" },
	{ SG_REPORT_RELEASES, "releases", "Releases signed", "signet ledger show --type release.signed" },
	{ SG_REPORT_CERTS_ISSUED, "certs-issued", "Certificates issued",
	  "signet ledger show --type cert.issued" },
	{ SG_REPORT_CERTS_REVOKED, "certs-revoked", "Certificates revoked",
	  "signet ledger show --type cert.revoked" },
	{ SG_REPORT_CRLS, "crls", "CRLs issued", "signet ledger show --type crl.issued" },
};

/* A field's value: key_ids (a JSON array of hex strings) one per line. */
static void cell(FILE *fp, const char *name, const char *v)
{
	bool prose = !strcmp(name, "detail") || !strcmp(name, "subject") || !strcmp(name, "issuer");
	bool wide = prose || !strcmp(name, "digest") || !strcmp(name, "key_ids");
	fprintf(fp, "<td class=\"%s%s\">", prose ? "" : "mono", wide ? " wrap" : "");
	if (v && !strcmp(name, "key_ids")) {
		char one[2] = { 0, 0 };
		for (; *v; v++) {
			if (*v == ',')
				fputs("<br>", fp);
			else if (*v != '[' && *v != ']' && *v != '"')
				one[0] = *v, esc(fp, one);
		}
	} else if (v) {
		esc(fp, v);
	}
	fputs("</td>", fp);
}

static void list_table(FILE *fp, const struct sg_report *rep, size_t k)
{
	uint64_t dropped;
	size_t n = sg_report_items(rep, lists[k].list, &dropped);
	const char *name;
	fprintf(fp, "<h2>%s</h2>\n", lists[k].title);
	if (n == 0) {
		fprintf(fp, "<p data-list=\"%s\" data-shown=\"0\">None in these records.</p>\n",
			lists[k].id);
		return;
	}
	if (dropped)
		fprintf(fp, "<p>The latest %zu are listed, <span data-more=\"%s\">and %" PRIu64
			    " more</span> before them (%s lists them all).</p>\n",
			n, lists[k].id, dropped, lists[k].show);
	fprintf(fp, "<table data-list=\"%s\" data-shown=\"%zu\">\n<tr><th>index</th><th>time</th>",
		lists[k].id, n);
	for (size_t j = 0; (name = sg_report_field_name(lists[k].list, j)); j++)
		fprintf(fp, "<th>%s</th>", name);
	fputs("</tr>\n", fp);
	for (size_t i = 0; i < n; i++) {
		const struct sg_report_item *it = sg_report_item(rep, lists[k].list, i);
		char when[CLI_UTC_MAX];
		cli_utc((uint64_t)it->time, when, false);
		fprintf(fp, "<tr><td class=\"n\">%" PRIu64 "</td><td>%s</td>", it->index, when);
		for (size_t j = 0; (name = sg_report_field_name(lists[k].list, j)); j++)
			cell(fp, name, it->field[j]);
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
}

/* ---- the page */

static void checkpoint_section(FILE *fp, const struct sg_report_checkpoint *c)
{
	char root[SG_BASE64_LEN(32) + 1];
	sg_base64_encode(c->cp.root, sizeof c->cp.root, root);
	fputs("<h2>The checkpoint</h2>\n<table id=\"checkpoint\">\n<tr><th>origin</th>"
	      "<td class=\"mono\">",
	      fp);
	esc(fp, c->cp.origin);
	fprintf(fp, "</td></tr>\n<tr><th>size</th><td data-count=\"checkpoint-size\">%" PRIu64
		    "</td></tr>\n<tr><th>root</th><td class=\"mono\">%s</td></tr>\n"
		    "<tr><th>signature</th><td data-signature=\"%s\">%s</td></tr>\n</table>\n"
		    "<pre id=\"note\">",
		c->cp.size, root, c->signature_checked ? "verified" : "not-checked",
		c->signature_checked
			? "verified with the public key(s) given (--pubkey)"
			: "not checked by this report: check it with signet ledger verify "
			  "--pubkey, or give --pubkey to report");
	esc(fp, c->note);
	fputs("</pre>\n", fp);
}

static int page(FILE *fp, const struct sg_report *rep, const struct sg_report_checkpoint *c)
{
	/* The policy forbids every fetch and every script: were a record's text
	 * ever to slip through unescaped, the browser would still run nothing. */
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<title>Ledger report: ",
	      fp);
	esc(fp, c->cp.origin);
	fprintf(fp, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>Ledger report: ", css);
	esc(fp, c->cp.origin);
	fprintf(fp, "</h1>\n<p id=\"scope\">Computed over exactly the %" PRIu64
		    " records of the latest checkpoint (indexes 0 to %" PRIu64 "): each was "
		    "re-hashed and the tree rebuilt from them has the checkpoint's root. Records "
		    "appended after the checkpoint are not in this report.</p>\n",
		c->cp.size, c->cp.size ? c->cp.size - 1 : 0);
	summary(fp, rep);
	if (chart(fp, rep))
		return SG_EENV;
	size_t n;
	struct sg_report_tally other;
	const struct sg_report_group *g = sg_report_origins(rep, &n, &other);
	group_table(fp, "By station (origin)", "origin", g, n, &other, true);
	g = sg_report_reasons(rep, &n, &other);
	group_table(fp, "By failure reason", "reason", g, n, &other, false);
	for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++)
		list_table(fp, rep, k);
	checkpoint_section(fp, c);
	fputs("<p>Written by signet ledger report.</p>\n</body>\n</html>\n", fp);
	return SG_OK;
}

/* Writes the page to path atomically. */
static int write_page(const char *path, const struct sg_report *rep,
		      const struct sg_report_checkpoint *c, struct sg_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		return sg_errf(err, SG_EENV, "out of memory");
	int rc = page(fp, rep, c);
	if (fclose(fp) || rc) {
		free(buf);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	struct sg_atomic_file f;
	rc = sg_atomic_open(&f, path, err);
	if (!rc)
		rc = sg_atomic_write(&f, buf, len, err);
	if (!rc)
		rc = sg_atomic_commit(&f, err);
	else
		sg_atomic_abort(&f);
	free(buf);
	return rc;
}

/* The report of the open ledger l into a->html. */
static int report_ledger(const struct ledger_args *a, struct sg_ledger *l,
			 const struct sg_note_key *keys, size_t nkeys, struct sg_err *err)
{
	struct sg_report_checkpoint c;
	struct sg_err why;
	struct sg_report *rep = sg_report_new(0);
	if (!rep)
		return sg_errf(err, SG_EENV, "out of memory");
	int rc = sg_report_ledger(l, keys, nkeys, rep, &c, &why);
	if (rc) {
		sg_errf(err, rc, "%s: %s", a->ledger, why.msg);
	} else {
		rc = write_page(a->html, rep, &c, err);
		if (!rc)
			fprintf(stderr, "signet: %s: report of the %" PRIu64
					" records of checkpoint %" PRIu64 " written\n",
				a->html, c.cp.size, c.cp.size);
		free(c.note);
	}
	sg_report_free(rep);
	return rc;
}

int ledger_report(const struct ledger_args *a)
{
	struct sg_note_key keys[LEDGER_MAX_KEYS];
	size_t nkeys = 0;
	struct sg_err err;
	struct sg_ledger *l;

	if (!a->html)
		return cli_usage_error("ledger", "report needs --html OUT.html");
	int rc = a->npubkeys ? ledger_keys(a, keys, &nkeys) : SG_OK;
	if (rc)
		return rc;
	rc = ledger_open(a, false, &l);
	if (!rc) {
		rc = report_ledger(a, l, keys, nkeys, &err);
		sg_ledger_close(l);
		if (rc)
			cli_report(&err);
	}
	ledger_keys_clear(keys, nkeys);
	return rc;
}
