"""The user ledger (管理台帳) of one facility: people, job titles, certificates, VPN numbers,
joined and left dates, and whether the confidentiality pledge (form 4) is on file.

``ledger_rows`` only reads: the caller has asked ``network.access`` whether the user may
manage the facility. CSV (UTF-8 with BOM, for Excel) and a Japanese A4 landscape PDF
(the timeline export's font handling) are built from the same rows.
"""

import csv
import io
from xml.sax.saxutils import escape

from django.utils import timezone

from network.models import FacilityMembership

from .models import DeviceCertificate, VpnNumber

HEADERS = [
    "氏名", "ふりがな", "メールアドレス", "役割", "職種", "登録日", "解除日", "誓約書（様式4）",
    "端末証明書（シリアル・端末・発行日・失効日）", "VPN番号",
]


def _date(value):
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""


def ledger_rows(facility):
    memberships = (
        FacilityMembership.objects.filter(facility=facility)
        .select_related("user", "pledge")
        .order_by("until", "user__last_name_kana", "user__first_name_kana", "pk")
    )
    memberships = list(memberships)
    user_ids = {m.user_id for m in memberships}
    certs = {}
    for cert in DeviceCertificate.objects.filter(user_id__in=user_ids, facility=facility).order_by("issued_at"):
        certs.setdefault(cert.user_id, []).append(cert)
    vpns = {}
    for vpn in VpnNumber.objects.filter(facility=facility, assigned_user_id__in=user_ids):
        vpns.setdefault(vpn.assigned_user_id, []).append(vpn)
    rows = []
    for m in memberships:
        pledge = getattr(m, "pledge", None)
        rows.append(
            {
                "membership": m,
                "name": m.user.get_full_name(),
                "kana": f"{m.user.last_name_kana} {m.user.first_name_kana}".strip(),
                "email": m.user.email,
                "role": str(m.get_role_display()),
                "job_title": m.job_title,
                "since": _date(m.since),
                "until": _date(m.until),
                "pledge": pledge.received_on.strftime("%Y-%m-%d") if pledge else "",
                "certificates": [
                    {
                        "serial": c.serial_hex,
                        "device": c.device_name,
                        "issued": _date(c.issued_at),
                        "revoked": _date(c.revoked_at),
                    }
                    for c in certs.get(m.user_id, [])
                ],
                "vpn": [v.label for v in vpns.get(m.user_id, [])],
            }
        )
    return rows


def _cert_text(c):
    text = f"{c['serial']} {c['device']} 発行{c['issued']}"
    return text + (f" 失効{c['revoked']}" if c["revoked"] else "")


def _safe_cell(value):
    """Cells starting like a formula are prefixed so spreadsheets show them as text."""
    value = str(value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def ledger_csv(rows):
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for r in rows:
        writer.writerow(
            [
                _safe_cell(v)
                for v in (
                    r["name"], r["kana"], r["email"], r["role"], r["job_title"], r["since"],
                    r["until"], r["pledge"] or "未提出",
                    "; ".join(_cert_text(c) for c in r["certificates"]), " ".join(r["vpn"]),
                )
            ]
        )
    return buffer.getvalue().encode("utf-8")


def ledger_pdf(facility, rows, *, requested_by):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    from timeline.export import (
        IPAEX_GOTHIC_PATH,
        CJKParagraph,
        _japanese_font,
        _styles,
        _Text,
        japanese_date,
    )

    font, coverage = _japanese_font(IPAEX_GOTHIC_PATH)
    styles = _styles(font)
    text = _Text(coverage)
    cell = styles["body"].clone("ledger-cell", fontSize=7.5, leading=10)

    def p(value):
        return CJKParagraph(text(value), cell)

    data = [[p(h) for h in HEADERS]]
    for r in rows:
        data.append(
            [
                p(r["name"]), p(r["kana"]), p(r["email"]), p(r["role"]), p(r["job_title"]),
                p(r["since"]), p(r["until"]), p(r["pledge"] or "未提出"),
                p("\n".join(_cert_text(c) for c in r["certificates"])),
                p(" ".join(r["vpn"])),
            ]
        )
    widths = [28, 26, 44, 22, 18, 18, 18, 18, 60, 16]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
        topMargin=12 * mm, bottomMargin=12 * mm, title="管理台帳", author="みまもりSNS",
    )
    today = timezone.localdate()
    doc.build(
        [
            CJKParagraph(escape(f"管理台帳（{facility.name}）"), styles["title"]),
            CJKParagraph(
                escape(f"作成日：{japanese_date(today)}　作成者：{requested_by.get_full_name()}　{len(rows)}名"),
                styles["note"],
            ),
            Spacer(1, 3 * mm),
            table,
        ]
    )
    return buffer.getvalue()
