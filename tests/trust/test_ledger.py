"""The user ledger (管理台帳) in the facility console: screen, CSV and PDF."""

import csv
import io

import pytest
from pypdf import PdfReader

from network import services as network_services
from trust import ca, services
from trust.models import Pledge

from .conftest import membership_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(world):
    cert, _p, _t = ca.issue_client_certificate(world["nurse"], "訪問用タブレット", facility=world["clinic"])
    old, _p, _t = ca.issue_client_certificate(world["nurse"], "古いPC", facility=world["clinic"])
    services.revoke_certificate(old, actor=world["admin"])
    vpn, _ = services.allocate_vpn_numbers(world["clinic"])
    services.assign_vpn_number(vpn, world["nurse"])
    network_services.end_membership(membership_of(world["doctor"], world["clinic"]))
    return {**world, "cert": cert, "old": old}


def test_admin_sees_people_certificates_vpn_and_dates(filled):
    client = filled["signed_in"](filled["admin"])
    page = client.get(f"/console/{filled['clinic'].pk}/ledger/").content.decode()
    assert "坂井 美和" in page or "坂井" in page
    assert "看護師" in page and "訪問用タブレット" in page and "古いPC" in page
    assert "0000" in page and "未提出" in page
    assert filled["doctor"].email in page  # people who left stay in the ledger with their date


def test_pledge_is_recorded_and_shown(filled):
    client = filled["signed_in"](filled["admin"])
    membership = membership_of(filled["nurse"], filled["clinic"])
    response = client.post(
        f"/console/{filled['clinic'].pk}/ledger/{membership.pk}/pledge/",
        {"received_on": "2026-04-01"},
        follow=True,
    )
    assert "受領を記録しました" in response.content.decode()
    assert Pledge.objects.get(membership=membership).received_on.isoformat() == "2026-04-01"
    bad = client.post(
        f"/console/{filled['clinic'].pk}/ledger/{membership.pk}/pledge/", {"received_on": "4月1日"}, follow=True
    )
    assert "受領日を正しく入力してください" in bad.content.decode()


def test_csv_export_has_one_row_per_membership(filled):
    client = filled["signed_in"](filled["admin"])
    response = client.get(f"/console/{filled['clinic'].pk}/ledger.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "氏名" and rows[0][-1] == "VPN番号"
    nurse_row = next(r for r in rows if r[2] == filled["nurse"].email)
    assert nurse_row[4] == "看護師"
    assert filled["cert"].serial_hex in nurse_row[8] and "失効" in nurse_row[8]
    assert nurse_row[9] == "0000"
    doctor_row = next(r for r in rows if r[2] == filled["doctor"].email)
    assert doctor_row[6]  # left date


def test_pdf_export_is_japanese_text(filled):
    client = filled["signed_in"](filled["admin"])
    response = client.get(f"/console/{filled['clinic'].pk}/ledger.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "管理台帳" in text and "みまもり医院" in text
    assert "訪問用タブレット" in text and "看護師" in text


def test_another_facilitys_admin_gets_404(filled):
    client = filled["signed_in"](filled["other_admin"])
    for path in ("ledger/", "ledger.csv", "ledger.pdf"):
        assert client.get(f"/console/{filled['clinic'].pk}/{path}").status_code == 404


def test_staff_get_404(filled):
    client = filled["signed_in"](filled["nurse"])
    assert client.get(f"/console/{filled['clinic'].pk}/ledger.csv").status_code == 404
