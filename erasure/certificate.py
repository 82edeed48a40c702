"""The deletion certificate (削除証明書): what was deleted, counted, with no content.

A Japanese A4 PDF made from a ``Tombstone`` alone, so it can be issued again at any
time and never needs the patient: certificate number, form-7 reference number, date
(令和), and per kind of record how many were deleted. It names no patient and quotes
no record. The Japanese font is registered as for the care-record export
(IPAexGothic embedded when installed).
"""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from timeline.export import IPAEX_GOTHIC_PATH, _japanese_font, japanese_datetime, wareki

from .services import COUNT_LABELS

TITLE = "削除証明書（同意撤回）"
ISSUER = "みまもりSNS事務局"


def _styles(font):
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=1),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12,
                                textColor=colors.HexColor("#333333")),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=12),
        "sign": ParagraphStyle("sign", parent=base, alignment=2),
        "number": ParagraphStyle("number", parent=base, fontSize=9.5, leading=12, alignment=2),
    }


def render_certificate_pdf(tombstone, *, issued_at=None) -> bytes:
    issued_at = issued_at or timezone.now()
    font, _coverage = _japanese_font(IPAEX_GOTHIC_PATH)
    styles = _styles(font)
    withdrawn = timezone.localtime(tombstone.withdrawn_at)

    def cell(text, style="cell"):
        return Paragraph(escape(str(text)), styles[style])

    header = [
        ("削除証明書番号", str(tombstone.id)),
        ("受付番号（様式7 同意撤回書）", tombstone.reference or "—"),
        ("削除日時", f"{wareki(withdrawn.date())} {withdrawn:%H:%M}（{japanese_datetime(withdrawn)}）"),
    ]
    if tombstone.reapplied_at:
        header.append(("復元後の再削除", japanese_datetime(tombstone.reapplied_at)))
    head_table = Table([[cell(a), cell(b)] for a, b in header], colWidths=[55 * mm, 115 * mm])
    rows = [[cell("削除したもの"), cell("件数")]]
    counts = tombstone.counts or {}
    for key, label in COUNT_LABELS:
        rows.append([cell(label), cell(f"{int(counts.get(key, 0)):,}", "number")])
    rows.append([cell("患者ページ（氏名・かな・生年月日・住所・同意日・事務局メモ）"), cell("1", "number")])
    count_table = Table(rows, colWidths=[130 * mm, 40 * mm], repeatRows=1)
    grid = TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#777777")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 1), (1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ])
    head_table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#777777")),
                                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEEEEE"))]))
    count_table.setStyle(grid)
    count_table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE"))]))

    statement = (
        "上記の受付番号の同意撤回書に基づき、当該患者のタイムラインに関する記録（患者ページとその版、"
        "投稿と編集履歴、添付ファイルとサムネイル、既読記録、修正・削除の依頼、お知らせ、"
        "チームの記録と変更履歴、管理画面の操作記録、検索索引、送信メールの控え）を、"
        "本システムのデータベースおよびファイル保存領域から削除したことを証明します。"
        "データベースファイルは削除後に上書き・整理（チェックポイント）を行い、削除した内容が残らないようにしています。"
    )
    kept = (
        "残しているもの：この削除記録（証明書番号・日時・件数・受付番号のみ）、様式7の受付記録、"
        "および医療情報を含まない監査ログ。バックアップから復元した場合も、削除記録にもとづいて"
        "この削除を自動的に再実行します。"
    )
    note = (
        "本証明書には、患者の氏名その他の個人情報および記録の内容は記載していません。"
        "受付番号により様式7と照合してください。"
    )
    story = [
        Paragraph(TITLE, styles["title"]),
        Spacer(1, 4 * mm),
        head_table,
        Spacer(1, 4 * mm),
        count_table,
        Spacer(1, 4 * mm),
        Paragraph(statement, styles["body"]),
        Spacer(1, 3 * mm),
        Paragraph(kept, styles["body"]),
        Spacer(1, 3 * mm),
        Paragraph(note, styles["small"]),
        Spacer(1, 6 * mm),
        Paragraph(f"発行日 {wareki(timezone.localtime(issued_at).date())}<br/>{ISSUER}", styles["sign"]),
    ]
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
        bottomMargin=20 * mm, title=TITLE, author=ISSUER, creator=ISSUER, subject="", keywords="",
        lang="ja",
    )
    doc.build(story)
    return buffer.getvalue()
