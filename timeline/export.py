"""A patient's timeline as a Japanese A4 PDF: the care record (支援経過記録) to file or print.

``render_timeline_pdf`` only renders: the caller has checked access and chosen the posts
(a date range of one patient's timeline). The file embeds IPAexGothic when Debian's
``fonts-ipaexfont`` is installed and otherwise falls back to reportlab's built-in
``HeiseiKakuGo-W5``, which is not embedded (the reader must then have a Japanese font).

Every piece of user text goes through ``_Text`` before it reaches a reportlab
``Paragraph``: Paragraph text is a small XML dialect (``<b>``, ``<a href>``, ``<img>``...),
so unescaped text could change the layout, add links or fail to parse.

``wareki``, ``japanese_date`` and ``japanese_datetime`` are plain functions of a date, meant
for reuse (forms, letters, the ledger): import them from here. They touch neither reportlab
nor the database, but importing this module loads reportlab; move them to a shared module
if that ever matters.
"""

import datetime
import functools
import os
import re
from io import BytesIO
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.utils import timezone

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    HRFlowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

TOKYO = ZoneInfo("Asia/Tokyo")

PDF_TITLE = "支援経過記録"  # document metadata: never the patient's name
PDF_AUTHOR = "みまもりSNS"
HEADING = "支援経過記録（みまもりSNS）"
DELETED_TEXT = "この投稿は削除されました"
MISSING_GLYPH = "〓"

IPAEX_GOTHIC_PATH = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"
FALLBACK_CID_FONT = "HeiseiKakuGo-W5"

WEEKDAYS = "月火水木金土日"

MARGIN = 18 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
POST_MIN_START_HEIGHT = 30 * mm  # heading and about three lines of text


# --- Japanese dates ------------------------------------------------------------------------

# (first day of the era, name). Dates are Gregorian; Japan adopted the Gregorian calendar on
# 1873-01-01 (明治6年1月1日), so earlier dates have no correct conversion here.
ERAS = (
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
    (datetime.date(1912, 7, 30), "大正"),
    (datetime.date(1873, 1, 1), "明治"),
)
_MEIJI_FIRST_YEAR = 1868


def wareki(date: datetime.date) -> str:
    """``date`` in the Japanese era calendar: 2026-11-25 → "令和8年11月25日".

    The first year of an era is 元年 (2019-05-01 → "令和元年5月1日"); the day an era
    changes follows the official dates, so 2019-04-30 → "平成31年4月30日" and
    1989-01-07 → "昭和64年1月7日". Covers 明治, 大正, 昭和, 平成 and 令和, i.e. every date
    from 1873-01-01 (明治6年, when Japan adopted the Gregorian calendar); an earlier date
    raises ``ValueError``, as there is no correct conversion for it. A ``datetime`` is
    taken as its date in Asia/Tokyo when aware.
    """
    date = _as_date(date)
    for first_day, name in ERAS:
        if date >= first_day:
            first_year = _MEIJI_FIRST_YEAR if name == "明治" else first_day.year
            year = date.year - first_year + 1
            year_text = "元" if year == 1 else str(year)
            return f"{name}{year_text}年{date.month}月{date.day}日"
    raise ValueError(f"wareki() covers dates from 1873-01-01 on, not {date.isoformat()}")


def japanese_date(date: datetime.date, *, weekday: bool = False) -> str:
    """2026-11-25 → "2026年11月25日" (with ``weekday``: "2026年11月25日（水）")."""
    date = _as_date(date)
    text = f"{date.year}年{date.month}月{date.day}日"
    return f"{text}（{WEEKDAYS[date.weekday()]}）" if weekday else text


def japanese_datetime(value: datetime.datetime, *, weekday: bool = False) -> str:
    """An aware datetime in Asia/Tokyo time: "2026年11月25日 14:05"."""
    local = value.astimezone(TOKYO) if value.utcoffset() is not None else value
    return f"{japanese_date(local.date(), weekday=weekday)} {local:%H:%M}"


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(TOKYO).date() if value.utcoffset() is not None else value.date()
    return value


def _wareki_or_none(date):
    try:
        return wareki(date)
    except ValueError:
        return None


# --- Fonts and styles ----------------------------------------------------------------------


@functools.cache
def _japanese_font(ttf_path):
    """Register the Japanese font; return its name and the set of code points it can draw.

    IPAexGothic (embedded) if the file exists, else the built-in ``HeiseiKakuGo-W5``, whose
    encoding (UCS-2) covers the Basic Multilingual Plane only (``None``: anything there).
    """
    if ttf_path and os.path.exists(ttf_path):
        name = "IPAexGothic"
        font = TTFont(name, ttf_path)
        pdfmetrics.registerFont(font)
        coverage = frozenset(font.face.charToGlyph)
    else:
        name = FALLBACK_CID_FONT
        pdfmetrics.registerFont(UnicodeCIDFont(name))
        coverage = None
    # One weight only: map bold/italic to the same face so no markup can ask for a missing one.
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return name, coverage


class _GlyphFilter(dict):
    """A ``str.translate`` table: characters the font cannot draw become 〓 (geta mark).

    Without it an emoji or a rare kanji outside the font prints as an empty box and is lost
    from the text (pypdf reads it as NUL); 〓 is the customary stand-in in Japanese print.
    ``used`` tells whether any character was replaced.
    """

    def __init__(self, coverage):
        super().__init__()
        self.coverage = coverage
        self.used = False

    def __missing__(self, code_point):
        if self.coverage is None:
            drawable = code_point <= 0xFFFF
        else:
            drawable = code_point in self.coverage or code_point in (0x09, 0x0A)
        value = code_point if drawable else MISSING_GLYPH
        self.used = self.used or not drawable
        self[code_point] = value
        return value


def _styles(font):
    base = ParagraphStyle(
        "base", fontName=font, fontSize=10, leading=15, wordWrap="CJK", textColor=colors.black
    )
    return {
        "title": ParagraphStyle(
            "title", base, fontSize=16, leading=22, alignment=TA_CENTER, spaceAfter=4 * mm
        ),
        "cell": ParagraphStyle("cell", base, fontSize=9.5, leading=13),
        "label": ParagraphStyle(
            "label", base, fontSize=9.5, leading=13, textColor=colors.HexColor("#333333")
        ),
        "note": ParagraphStyle(
            "note",
            base,
            fontSize=8.5,
            leading=12,
            textColor=colors.HexColor("#444444"),
            spaceBefore=2 * mm,
        ),
        "post_head": ParagraphStyle(
            "post_head",
            base,
            fontSize=9.5,
            leading=13,
            backColor=colors.HexColor("#EEF2F6"),
            borderPadding=(2, 3, 2, 3),
            spaceBefore=3 * mm,
            spaceAfter=2 * mm,
        ),
        "body": ParagraphStyle(
            "body", base, fontSize=10.5, leading=16, leftIndent=2 * mm, spaceAfter=1 * mm
        ),
        "field": ParagraphStyle(
            "field", base, fontSize=10, leading=15, leftIndent=2 * mm, spaceBefore=1 * mm
        ),
        "attachment": ParagraphStyle(
            "attachment", base, fontSize=9.5, leading=14, leftIndent=2 * mm, spaceBefore=1 * mm
        ),
        "deleted": ParagraphStyle(
            "deleted",
            base,
            fontSize=10,
            leading=15,
            leftIndent=2 * mm,
            textColor=colors.HexColor("#666666"),
        ),
    }


# --- Paragraphs that split cleanly --------------------------------------------------------


class CJKParagraph(Paragraph):
    """A reportlab ``Paragraph`` whose continuation after a page break wraps like the original.

    When reportlab splits a paragraph it rebuilds the rest from the already-wrapped lines
    and appends a space to the last word of each line (right for Latin text, where lines
    break at spaces). With ``wordWrap="CJK"`` those spaces are not in the text: the rest is
    wrapped again, each added space shifts the line ends, and the printed text gets gaps in
    the middle of lines ("報告  し"). Here the rest is rebuilt from the original characters.
    """

    def split(self, availWidth, availHeight):
        if not hasattr(self, "blPara"):
            self.wrap(availWidth, availHeight)
        lines = self.blPara.lines if self.blPara.kind == 1 else None
        texts = [[word.text for word in line.words] for line in lines] if lines else None
        parts = super().split(availWidth, availHeight)
        if len(parts) != 2 or texts is None:
            return parts
        first, rest = parts
        for line, line_texts in zip(lines, texts, strict=True):
            for word, text in zip(line.words, line_texts, strict=True):
                word.text = text
        frags = [word.clone() for line in lines[len(first.blPara.lines) :] for word in line.words]
        return [first, CJKParagraph(None, rest.style, frags=frags)]


# --- Text to Paragraph markup --------------------------------------------------------------

# C0/C1 control characters other than tab and newline, and lone surrogates: nothing to draw.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_LEADING_SPACE = re.compile("^[ \t\u3000]+")
# Paragraph collapses spaces, the ideographic one included; indentation is kept with no-break
# spaces, about four of them for the width of a kanji.
_INDENT = {" ": "\xa0", "\t": "\xa0" * 4, "\u3000": "\xa0" * 4}


class _Text:
    """Turns user text into Paragraph markup that draws exactly that text, in one font."""

    def __init__(self, coverage):
        self.glyphs = _GlyphFilter(coverage)

    def __call__(self, text):
        """Plain text → markup: ``<``, ``>`` and ``&`` escaped (``&amp;`` stays the five
        characters it was), line breaks as ``<br/>``, leading indentation kept, control
        characters dropped and characters missing from the font shown as 〓."""
        text = str(text).replace("\r\n", "\n").replace("\r", "\n")
        text = _UNPRINTABLE.sub("", text).translate(self.glyphs)
        lines = []
        for line in text.split("\n"):
            indent = ""
            match = _LEADING_SPACE.match(line)
            if match:
                indent = "".join(_INDENT[ch] for ch in match.group())
                line = line[match.end() :]
            lines.append(indent + escape(line))
        return "<br/>".join(lines)


def _size_text(size):
    if size < 1024:
        return f"{size} バイト"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _person(user):
    return user.get_full_name() if user is not None else ""


# --- Flowables -----------------------------------------------------------------------------


def _summary_table(
    patient, *, start, end, requested_by, generated_at, count, deleted, text, styles
):
    def row(label, value):
        return [
            CJKParagraph(text(label), styles["label"]),
            CJKParagraph(text(value), styles["cell"]),
        ]

    birth = "—"
    if patient.birth_date:
        birth = japanese_date(patient.birth_date)
        era = _wareki_or_none(patient.birth_date)
        if era:
            birth += f"（{era}）"
    period = f"{japanese_date(start)}〜{japanese_date(end)}"
    start_era, end_era = _wareki_or_none(start), _wareki_or_none(end)
    if start_era and end_era:
        period += f"（{start_era}〜{end_era}）"
    count_text = f"{count}件" + (f"（うち削除 {deleted}件）" if deleted else "")
    rows = [
        row("氏名", patient.title),
        row("ふりがな", patient.name_kana or "—"),
        row("生年月日", birth),
        row("対象期間", period),
        row("記録件数", count_text),
        row("出力者", _person(requested_by)),
        row("出力日時", f"{japanese_datetime(generated_at)}（日本時間）"),
    ]
    table = Table(rows, colWidths=[28 * mm, CONTENT_WIDTH - 28 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F2F2F2")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _label(name):
    return f'<font color="#555555">【{name}】</font>'


def _post_flowables(post, text, styles):
    deleted = post.deleted_at is not None
    facility = post.facility.name
    if post.facility.status == "deregistered":
        facility += "（利用解除済み）"
    head = (
        f'<font color="#1F3A5F">{text(japanese_datetime(post.created_at, weekday=True))}</font>'
        f"\u3000{text(_person(post.author))}"
    )
    if post.author_job_title:
        head += f"（{text(post.author_job_title)}）"
    head += f"\u3000{text(facility)}"
    if post.edited_at and not deleted:
        head += "\u3000（編集あり）"
    if post.ack_requested and not deleted:
        head += "\u3000［確認のお願い］"
    yield CJKParagraph(head, styles["post_head"])

    if deleted:
        yield CJKParagraph(
            text(
                f"{DELETED_TEXT}（投稿者 {_person(post.author)}、"
                f"削除日時 {japanese_datetime(post.deleted_at)}）"
            ),
            styles["deleted"],
        )
        return
    if post.body:
        yield CJKParagraph(text(post.body), styles["body"])
    if post.next_visit_date:
        visit = japanese_date(post.next_visit_date, weekday=True)
        yield CJKParagraph(_label("次回訪問日") + text(visit), styles["field"])
    if post.plan_change:
        yield CJKParagraph(
            _label("治療方針の変更") + "<br/>" + text(post.plan_change), styles["field"]
        )
    if post.care_cautions:
        yield CJKParagraph(
            _label("ケア上の注意点") + "<br/>" + text(post.care_cautions), styles["field"]
        )
    attachments = list(post.attachments.all())
    if attachments:
        lines = [
            text(f"・{a.display_name}（{a.get_kind_display()}、{_size_text(a.size)}）")
            for a in attachments
        ]
        yield CJKParagraph(
            _label("添付ファイル") + "（ファイル本体は含みません）<br/>" + "<br/>".join(lines),
            styles["attachment"],
        )


# --- Page furniture ------------------------------------------------------------------------


class _NumberedCanvas(Canvas):
    """Defers each page until the total is known, then stamps "n / N" on every page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_pages = []

    def showPage(self):
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self._draw_page_number(total)
            super().showPage()
        self._saved_pages = []
        super().save()

    def _draw_page_number(self, total):
        self.saveState()
        self.setFont(self._furniture_font, 9)
        self.setFillColor(colors.HexColor("#333333"))
        self.drawCentredString(A4[0] / 2, 10 * mm, f"{self._pageNumber} / {total}")
        self.restoreState()


def _canvas_class(font):
    return type("TimelineCanvas", (_NumberedCanvas,), {"_furniture_font": font})


def _page_furniture(font, patient_name):
    def draw(canvas, doc):
        width, height = A4
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.setFillColor(colors.HexColor("#333333"))
        canvas.drawString(doc.leftMargin, height - 12 * mm, f"{patient_name} 様")
        canvas.drawRightString(width - doc.rightMargin, height - 12 * mm, HEADING)
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.setLineWidth(0.5)
        canvas.line(doc.leftMargin, height - 14 * mm, width - doc.rightMargin, height - 14 * mm)
        canvas.line(doc.leftMargin, 14 * mm, width - doc.rightMargin, 14 * mm)
        canvas.setFont(font, 7.5)
        canvas.drawString(
            doc.leftMargin, 10 * mm, "個人情報を含みます。取り扱いに注意してください。"
        )
        canvas.restoreState()

    return draw


# --- The document --------------------------------------------------------------------------


def render_timeline_pdf(patient, posts, *, start, end, requested_by, generated_at=None) -> bytes:
    """The timeline of ``patient`` from ``start`` to ``end`` (dates) as PDF bytes.

    ``posts`` are the posts to print (access and date range already applied by the caller,
    ideally with ``select_related("author", "facility")`` and
    ``prefetch_related("attachments")``); they are printed oldest first whatever their
    order. ``requested_by`` is the user exporting; ``generated_at`` (an aware datetime,
    default now) is printed in Asia/Tokyo time. Attachments are listed by name, type and
    size, not embedded. The file has no JavaScript, links or actions, and its metadata
    names no patient.
    """
    generated_at = generated_at or timezone.now()
    font, coverage = _japanese_font(IPAEX_GOTHIC_PATH)
    styles = _styles(font)
    text = _Text(coverage)

    ordered = sorted(posts, key=lambda p: (p.created_at, p.pk))
    story_posts = []
    deleted = 0
    for index, post in enumerate(ordered):
        if index:
            story_posts.append(
                HRFlowable(
                    width="100%",
                    thickness=0.4,
                    color=colors.HexColor("#BBBBBB"),
                    spaceBefore=2 * mm,
                )
            )
        # A post starts on a new page rather than leave its heading alone at the foot of one.
        # (Not keepWithNext: that moves a long post whole to the next page.)
        story_posts.append(CondPageBreak(POST_MIN_START_HEIGHT))
        deleted += post.deleted_at is not None
        story_posts.extend(_post_flowables(post, text, styles))
    if not ordered:
        story_posts.append(CJKParagraph("対象期間の投稿はありません。", styles["body"]))

    summary = _summary_table(
        patient,
        start=start,
        end=end,
        requested_by=requested_by,
        generated_at=generated_at,
        count=len(ordered),
        deleted=deleted,
        text=text,
        styles=styles,
    )
    del ordered
    note = (
        "投稿は古い順に記載しています。添付ファイルは名称・種類・大きさのみを記載し、"
        "ファイル本体は含みません。"
    )
    if text.glyphs.used:
        note += f"「{MISSING_GLYPH}」は、このPDFの書体にない文字（絵文字など）です。"
    story = [
        CJKParagraph(escape(HEADING), styles["title"]),
        summary,
        CJKParagraph(note, styles["note"]),
        Spacer(1, 4 * mm),
        HRFlowable(width="100%", thickness=0.8, color=colors.HexColor("#666666")),
        *story_posts,
    ]

    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=PDF_TITLE,
        author=PDF_AUTHOR,
        creator=PDF_AUTHOR,
        subject="",
        keywords="",
        lang="ja",
    )
    header_name = patient.title.translate(text.glyphs)
    furniture = _page_furniture(font, header_name)
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture, canvasmaker=_canvas_class(font))
    return buffer.getvalue()
