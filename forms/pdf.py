"""A4 PDFs of forms 1-8 and the ledger, blank or filled, drawn from their definitions.

One renderer for both: ``render(definition)`` draws the blank form (empty boxes, 令和　年
月　日 to write in, □ before every choice) and ``render(definition, values)`` the same
layout with the values typed in, so the printed copy to sign is clean ("ワープロ打ち").
Blank PDFs are cached per form version (``blank_pdf``).

Fonts and Japanese dates come from ``timeline.export``: IPAexGothic embedded (a subset)
when Debian's ``fonts-ipaexfont`` is installed, otherwise the non-embedded CID font
``HeiseiKakuGo-W5``; characters the font cannot draw print as 〓. The canvas is drawn
directly (no platypus) to keep a form within a few milliseconds. The PDF has no
JavaScript, actions or links, and its metadata names only the form.
"""

from __future__ import annotations

import datetime
import hashlib
from io import BytesIO

from django.core.cache import cache

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from timeline.export import IPAEX_GOTHIC_PATH, _GlyphFilter, _japanese_font, wareki

from . import definitions as d

RENDERER_VERSION = "1"
PAGE_W, PAGE_H = A4
MARGIN = 15 * mm
WIDTH = PAGE_W - 2 * MARGIN
BOTTOM = 18 * mm
LABEL_W = 52 * mm
LINE = 5.6 * mm
ROW_MIN = 8.5 * mm
GREY = colors.HexColor("#EEEEEE")
BAND = colors.HexColor("#D9E2EA")
INK = colors.black

BLANK_DATE = "令和　　　年　　　月　　　日"
BLANK_BIRTH_DATE = "明・大・昭・平・令　　　年　　　月　　　日"
CHECKED, UNCHECKED = "■", "□"


def _as_date(value):
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def display_value(f: d.Field, value) -> str:
    """A field's value as printed on the form (and shown online before printing)."""
    if f.kind == d.CHOICE:
        return "　".join(
            f"{CHECKED if value == key else UNCHECKED} {label}" for key, label in f.choices
        )
    if f.kind == d.AGREE:
        return f"{CHECKED if value else UNCHECKED} はい"
    if f.kind in (d.DATE, d.BIRTH_DATE):
        date = _as_date(value)
        if date is not None:
            try:
                return wareki(date)
            except ValueError:
                return date.isoformat()
        return (BLANK_DATE if f.kind == d.DATE else BLANK_BIRTH_DATE) if value is None else ""
    if value is None:
        return ""
    return str(value)


class _Pdf:
    """The drawing state of one form: canvas, font, current height, page number."""

    def __init__(self, definition: d.FormDefinition, reference: str | None):
        self.defn = definition
        self.reference = reference
        self.font, coverage = _japanese_font(IPAEX_GOTHIC_PATH)
        self.glyphs = _GlyphFilter(coverage)
        self.buffer = BytesIO()
        self.c = Canvas(self.buffer, pagesize=A4, pageCompression=1, invariant=1)
        self.c.setTitle(definition.heading)
        self.c.setAuthor("みまもりSNS")
        self.c.setSubject(definition.label)
        self.c.setCreator("みまもりSNS")
        self.page = 1
        self.y = PAGE_H - MARGIN
        self._widths: dict[tuple[str, float], float] = {}

    # --- text helpers ----------------------------------------------------------------------

    def clean(self, text) -> str:
        text = str(text).replace("\r\n", "\n").replace("\r", "\n")
        text = "".join(ch for ch in text if ch == "\n" or ch >= " ")
        return text.translate(self.glyphs)

    def width(self, ch: str, size: float) -> float:
        key = (ch, size)
        w = self._widths.get(key)
        if w is None:
            w = pdfmetrics.stringWidth(ch, self.font, size)
            self._widths[key] = w
        return w

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        lines = []
        for paragraph in self.clean(text).split("\n"):
            line, used = "", 0.0
            for ch in paragraph:
                w = self.width(ch, size)
                if used + w > width and line:
                    lines.append(line)
                    line, used = "", 0.0
                line += ch
                used += w
            lines.append(line)
        return lines

    def text(self, x, y, text, size=10, color=INK):
        self.c.setFillColor(color)
        self.c.setFont(self.font, size)
        self.c.drawString(x, y, self.clean(text))

    # --- pages -------------------------------------------------------------------------------

    def ensure(self, height):
        if self.y - height >= BOTTOM:
            return
        self.footer()
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN
        self.text(MARGIN, self.y - 4 * mm, f"{self.defn.label}（続き）", size=9)
        self.y -= 9 * mm

    def footer(self):
        text = f"みまもりSNS　{self.defn.label}　{self.defn.title}　（版 {self.defn.version[:8]}）　{self.page}頁"
        self.text(MARGIN, 9 * mm, text, size=7.5, color=colors.HexColor("#444444"))

    # --- blocks ------------------------------------------------------------------------------

    def header(self, values):
        defn = self.defn
        top = self.y
        self.text(MARGIN, top - 4 * mm, defn.label, size=10)
        if self.reference:
            ref = f"受付番号　{self.reference}"
            self.text(PAGE_W - MARGIN - self.c.stringWidth(ref, self.font, 9), top - 4 * mm, ref, size=9)
        if defn.dated:
            date = _as_date(values.get("_date")) if values is not None else None
            shown = wareki(date) if date else BLANK_DATE
            self.text(PAGE_W - MARGIN - self.c.stringWidth(shown, self.font, 10), top - 10 * mm, shown, size=10)
        self.y = top - 18 * mm
        size = 15
        title = defn.heading
        self.c.setFont(self.font, size)
        tw = self.c.stringWidth(title, self.font, size)
        if tw > WIDTH:
            size = 15 * WIDTH / tw
            tw = WIDTH
        self.text((PAGE_W - tw) / 2, self.y, title, size=size)
        self.y -= 10 * mm
        if defn.addressee:
            self.text(MARGIN, self.y, defn.addressee, size=11)
            self.y -= 8 * mm
        if defn.intro:
            self.paragraph(defn.intro, size=10)
            self.y -= 2 * mm

    def paragraph(self, text, size=10, indent=0.0, leading=None):
        leading = leading or size * 1.55
        for line in self.wrap(text, size, WIDTH - indent):
            self.ensure(leading)
            self.text(MARGIN + indent, self.y - size, line, size=size)
            self.y -= leading

    def body(self):
        for heading, text in self.defn.body:
            self.ensure(16 * mm)
            self.band(heading)
            self.paragraph(text, size=9.5, indent=2 * mm)
            self.y -= 3 * mm

    def band(self, title):
        self.ensure(7 * mm + ROW_MIN)
        self.c.setFillColor(BAND)
        self.c.rect(MARGIN, self.y - 6.5 * mm, WIDTH, 6.5 * mm, stroke=0, fill=1)
        self.text(MARGIN + 2 * mm, self.y - 4.7 * mm, title, size=10.5)
        self.y -= 6.5 * mm

    def row(self, label, value_lines, min_lines=1):
        label_lines = self.wrap(label, 9.5, LABEL_W - 4 * mm)
        n = max(len(label_lines), len(value_lines), min_lines)
        height = max(ROW_MIN, n * LINE + 3 * mm)
        self.ensure(height)
        top = self.y
        c = self.c
        c.setStrokeColor(INK)
        c.setLineWidth(0.6)
        c.setFillColor(GREY)
        c.rect(MARGIN, top - height, LABEL_W, height, stroke=1, fill=1)
        c.rect(MARGIN + LABEL_W, top - height, WIDTH - LABEL_W, height, stroke=1, fill=0)
        for i, line in enumerate(label_lines):
            self.text(MARGIN + 2 * mm, top - 5.5 * mm - i * LINE, line, size=9.5)
        for i, line in enumerate(value_lines):
            self.text(MARGIN + LABEL_W + 2.5 * mm, top - 5.5 * mm - i * LINE, line, size=10)
        self.y = top - height

    def sections(self, values):
        value_width = WIDTH - LABEL_W - 5 * mm
        for section in self.defn.sections:
            self.y -= 2 * mm
            self.band(section.title)
            for f in section.fields:
                raw = values.get(f.name) if values is not None else None
                if values is None:
                    shown = display_value(f, None) if f.kind in (d.CHOICE, d.AGREE, d.DATE, d.BIRTH_DATE) else ""
                else:
                    shown = display_value(f, raw)
                    if not shown and f.kind in (d.DATE, d.BIRTH_DATE):
                        shown = ""
                lines = self.wrap(shown, 10, value_width) if shown else []
                self.row(f.label, lines, min_lines=f.lines)

    def table(self, values):
        table = self.defn.table
        if table is None:
            return
        self.y -= 3 * mm
        self.band(table.title)
        widths = [col.width * (WIDTH - 8 * mm) for col in table.columns]
        header_h = 7 * mm
        row_h = 7.5 * mm

        def header():
            self.ensure(header_h + row_h)
            x = MARGIN
            self.c.setFillColor(GREY)
            self.c.rect(x, self.y - header_h, WIDTH, header_h, stroke=1, fill=1)
            self.text(x + 1.5 * mm, self.y - 4.8 * mm, "No.", size=8)
            x += 8 * mm
            for col, w in zip(table.columns, widths, strict=True):
                self.c.line(x, self.y, x, self.y - header_h)
                self.text(x + 1 * mm, self.y - 4.8 * mm, col.label, size=8)
                x += w
            self.y -= header_h

        header()
        for row in range(1, table.rows + 1):
            if self.y - row_h < BOTTOM:
                self.ensure(row_h + header_h + 1)
                header()
            x = MARGIN
            self.c.setStrokeColor(INK)
            self.c.rect(x, self.y - row_h, WIDTH, row_h, stroke=1, fill=0)
            self.text(x + 2 * mm, self.y - 5 * mm, str(row), size=8.5)
            x += 8 * mm
            for col, w in zip(table.columns, widths, strict=True):
                self.c.line(x, self.y, x, self.y - row_h)
                if values is not None:
                    raw = values.get(f"r{row}_{col.name}")
                    shown = ""
                    if raw:
                        date = _as_date(raw) if col.kind == d.DATE else None
                        shown = wareki(date) if date else str(raw)
                    if shown:
                        size = 8.5
                        while size > 5 and self.c.stringWidth(self.clean(shown), self.font, size) > w - 2 * mm:
                            size -= 0.5
                        self.text(x + 1 * mm, self.y - 5 * mm, shown, size=size)
                x += w
            self.y -= row_h

    def signatures(self, values):
        if not self.defn.signatures:
            return
        self.y -= 4 * mm
        for sig in self.defn.signatures:
            height = 13 * mm
            self.ensure(height + 2 * mm)
            top = self.y
            label_w = 55 * mm
            self.text(MARGIN + 60 * mm, top - 8 * mm, sig.label, size=10)
            x0 = MARGIN + 60 * mm + label_w
            x1 = PAGE_W - MARGIN - (14 * mm if sig.seal else 0)
            self.c.setLineWidth(0.6)
            self.c.line(x0, top - 10 * mm, x1, top - 10 * mm)
            if sig.seal:
                cx, cy = PAGE_W - MARGIN - 6 * mm, top - 7 * mm
                self.c.circle(cx, cy, 5.5 * mm, stroke=1, fill=0)
                self.text(cx - 2 * mm, cy - 1.5 * mm, "印", size=10)
            self.y = top - height

    def notes(self):
        if not self.defn.notes:
            return
        self.y -= 4 * mm
        self.ensure(12 * mm)
        self.text(MARGIN, self.y - 4 * mm, "記入にあたっての注意", size=10)
        self.y -= 7 * mm
        for note in self.defn.notes:
            lines = self.wrap(note, 8.5, WIDTH - 6 * mm)
            for i, line in enumerate(lines):
                self.ensure(4.6 * mm)
                if i == 0:
                    self.text(MARGIN + 1 * mm, self.y - 3.5 * mm, "※", size=8.5)
                self.text(MARGIN + 5 * mm, self.y - 3.5 * mm, line, size=8.5)
                self.y -= 4.6 * mm

    def finish(self) -> bytes:
        self.footer()
        self.c.showPage()
        self.c.save()
        return self.buffer.getvalue()


def render(definition: d.FormDefinition, values: dict | None = None, *, reference: str | None = None) -> bytes:
    """The form as PDF bytes: blank when ``values`` is None, else filled with ``values``.

    ``values`` maps field names to cleaned values (``str``, ``int``, ``bool``, ``date`` or
    ISO date strings, as stored in a submission's JSON); ``values["_date"]`` is the date of
    application printed at the top right. ``reference`` (a submission's reference number)
    is printed at the top right of a filled form.
    """
    pdf = _Pdf(definition, reference)
    pdf.header(values)
    pdf.body()
    pdf.sections(values)
    pdf.table(values)
    pdf.signatures(values)
    pdf.notes()
    return pdf.finish()


def _font_key() -> str:
    font, _ = _japanese_font(IPAEX_GOTHIC_PATH)
    return font


def blank_cache_key(definition: d.FormDefinition) -> str:
    raw = f"{definition.version}:{RENDERER_VERSION}:{_font_key()}"
    return f"forms:blank:{definition.slug}:{hashlib.sha256(raw.encode()).hexdigest()[:16]}"


def blank_pdf(definition: d.FormDefinition) -> bytes:
    """The blank form, generated once per form version (and renderer and font) and cached."""
    key = blank_cache_key(definition)
    data = cache.get(key)
    if data is None:
        data = render(definition)
        cache.set(key, data, timeout=None)
    return data
