"""Checks on a `signet ledger report` page, for test_ledger_report.sh.

  report_check.py counts PAGE KEY=VALUE...  the numbers the page marks:
      data-count="K" elements (the summary), ORIGIN:K or REASON:K in the
      row marked data-origin / data-reason, list:ID the data-shown of the
      list ID, more:ID the N of its "and N more", days / bars of the chart
  report_check.py text PAGE STRING...       each STRING is text on the page
  report_check.py offline PAGE              nothing on the page loads anything:
      no script element, no attribute that fetches (src, href, ...) but to a
      data: URI, no url() or @import in styles, no http:// or https://, and
      a Content-Security-Policy that forbids fetches and scripts
  report_check.py png SCREENSHOT            the screenshot is not blank, and
      shows the chart's pass (green) and fail (red) bars
Decodes PNG with zlib alone (no PIL). Exit 0 when every check holds, else 1
with one line per failed check on stderr."""
import re
import struct
import sys
import zlib
from html.parser import HTMLParser

FETCHING = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster",
            "data", "background", "ping", "manifest"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.numbers = {}    # key -> text of the element marked with it
        self.tags = []       # (tag, attrs) of every start tag
        self.text = []
        self.styles = []
        self._open = []      # [key, text] being collected
        self._row = None     # data-origin / data-reason of the current row
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "tr":
            self._row = a.get("data-origin") or a.get("data-reason")
        key = a.get("data-count")
        if key is not None:
            self._open.append([f"{self._row}:{key}" if tag == "td" and self._row else key, ""])
        if "data-list" in a:
            self.numbers["list:" + a["data-list"]] = a.get("data-shown")
        if "data-more" in a:
            self._open.append(["more:" + a["data-more"], ""])
        if tag == "svg" and a.get("id") == "chart":
            self.numbers["days"] = a.get("data-days")
            self.numbers["bars"] = a.get("data-bars")
        if "style" in a:
            self.styles.append(a["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag in ("td", "span") and self._open:
            key, text = self._open.pop()
            m = re.search(r"\d+", text)
            self.numbers[key] = m.group(0) if m else text
        if tag == "tr":
            self._row = None
        self._in_style = False

    def handle_data(self, data):
        self.text.append(data)
        for o in self._open:
            o[1] += data
        if self._in_style:
            self.styles.append(data)


def parse(path):
    p = Page()
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    p.feed(raw)
    p.close()
    return p, raw


def counts(path, pairs):
    p, _ = parse(path)
    bad = []
    for pair in pairs:
        key, _, want = pair.rpartition("=")
        got = p.numbers.get(key)
        if got != want:
            bad.append(f"{path}: {key} is {got!r}, wanted {want}")
    return bad


def text(path, strings):
    p, _ = parse(path)
    all_text = "".join(p.text)
    return [f"{path}: no text {s!r}" for s in strings if s not in all_text]


def offline(path):
    p, raw = parse(path)
    bad = []
    for tag, attrs in p.tags:
        if tag == "script":
            bad.append(f"{path}: a <script> element")
        for name, value in attrs:
            if name in FETCHING and not (value or "").startswith("data:"):
                bad.append(f"{path}: <{tag} {name}={value!r}> fetches")
            if name.startswith("on"):
                bad.append(f"{path}: <{tag} {name}=...> an event handler")
    for s in p.styles:
        if re.search(r"url\s*\(|@import", s):
            bad.append(f"{path}: a style that fetches: {s[:80]!r}")
    csp = [v for t, a in p.tags if t == "meta" for k, v in a
           if k == "content" and ("http-equiv", "Content-Security-Policy") in a]
    if not csp or not csp[0].startswith("default-src 'none';") or "script-src" in csp[0]:
        bad.append(f"{path}: no Content-Security-Policy default-src 'none' (got {csp!r})")
    for scheme in ("http://", "https://"):
        if scheme in raw:
            bad.append(f"{path}: contains {scheme}")
    return bad


def png_pixels(path):
    """Width, height, channels and the unfiltered rows of an 8-bit RGB(A) PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, color, _, _, interlace = hdr
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"unexpected PNG format (depth {depth}, color {color})")
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif f == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def png(path):
    w, h, bpp, rows = png_pixels(path)
    inked, colours = 0, set()
    for line in rows:
        if line.count(0xFF) == len(line):
            continue
        for x in range(0, len(line), bpp):
            px = bytes(line[x:x + 3])
            if px != b"\xff\xff\xff":
                inked += 1
                colours.add(px)
    bad = []
    if inked < w * h // 100:
        bad.append(f"{path}: blank: {inked} of {w * h} pixels are not white")
    for name, rgb in (("pass", b"\x2a\x8a\x3e"), ("fail", b"\xc6\x28\x28")):
        if rgb not in colours:
            bad.append(f"{path}: no {name} bar (#{rgb.hex()}) in the chart")
    return bad


def main(argv):
    cmd, path, rest = argv[1], argv[2], argv[3:]
    bad = {"counts": lambda: counts(path, rest), "text": lambda: text(path, rest),
           "offline": lambda: offline(path), "png": lambda: png(path)}[cmd]()
    for b in bad:
        print(b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
