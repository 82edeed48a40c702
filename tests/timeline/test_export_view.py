"""The care-record export: the team gets a Japanese PDF of a period; it is audited."""

import io

import pytest
from pypdf import PdfReader

from audit.models import AuditEntry
from tests.factories import (
    FacilityFactory,
    join_team,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(signed_in):
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    nurse = make_staff(clinic, last_name="田中", first_name="由美")
    outsider = make_staff(FacilityFactory())
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, clinic, nurse)
    client = signed_in(nurse)
    client.post(patient.url, {"body": "訪問時、血圧128/76。食事量は半分程度。"})
    return {"patient": patient, "nurse": nurse, "outsider": outsider, "client": client}


def _url(patient, query=""):
    return f"/timeline/patients/{patient.patient_id}/export/{query}"


def test_team_member_exports_a_period_as_pdf(team):
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    response = team["client"].get(_url(team["patient"], f"?start={today}&end={today}"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment;" in response["Content-Disposition"] and "福井" not in response["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "福井 トメ" in text and "血圧128/76" in text and "田中 由美" in text
    entry = AuditEntry.objects.get(action="timeline.export")
    assert entry.actor_id == team["nurse"].pk and entry.patient_id == team["patient"].pk


def test_reversed_period_gets_a_japanese_message(team):
    response = team["client"].get(_url(team["patient"], "?start=2026-11-20&end=2026-11-01"))
    assert response.status_code == 200
    assert "終了日は開始日と同じか、それより後" in response.content.decode()
    assert not AuditEntry.objects.filter(action="timeline.export").exists()


def test_outsider_and_secretariat_get_404(team, signed_in):
    secretariat = make_secretariat()
    totp_device(secretariat)
    for user in (team["outsider"], secretariat):
        response = signed_in(user).get(_url(team["patient"], "?start=2026-11-01&end=2026-11-30"))
        assert response.status_code == 404
        assert "福井" not in response.content.decode()
