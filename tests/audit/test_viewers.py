"""Who may look through the audit log: the secretariat (all), a facility administrator
(their facility), the patient and family (reads of their own record); nobody else."""

import csv
import io

import pytest

from audit import log
from audit.models import AuditEntry
from tests.factories import (
    FacilityFactory,
    join_team,
    make_admin,
    make_family,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(signed_in):
    clinic = FacilityFactory(name="みまもり医院")
    pharmacy = FacilityFactory(name="さくら薬局")
    doctor = make_staff(clinic, job_title="医師")
    pharmacist = make_staff(pharmacy, job_title="薬剤師")
    patient = make_patient("福井 トメ", "ふくい とめ")
    other = make_patient("越前 一郎", "えちぜん いちろう")
    join_team(patient, clinic, doctor)
    join_team(patient, pharmacy, pharmacist)
    join_team(other, pharmacy, pharmacist)
    family = make_family(patient, relation="長女")
    signed_in(doctor).get(patient.url)
    signed_in(pharmacist).get(patient.url)
    signed_in(pharmacist).get(other.url)
    clinic_admin = make_admin(clinic)
    totp_device(clinic_admin)
    secretariat = make_secretariat()
    totp_device(secretariat)
    return locals()


def _csv(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_secretariat_sees_every_facility_and_filters(world, signed_in):
    client = signed_in(world["secretariat"])
    page = client.get("/audit/").content.decode()
    assert world["doctor"].email in page and world["pharmacist"].email in page
    filtered = client.get("/audit/", {"actor": world["doctor"].email, "action": "timeline.read"}).content.decode()
    assert world["doctor"].email in filtered and world["pharmacist"].email not in filtered
    assert "福井" not in page  # metadata only: no patient names


def test_secretariat_exports_csv(world, signed_in):
    response = signed_in(world["secretariat"]).get("/audit/", {"format": "csv", "action": "timeline.read"})
    rows = _csv(response)
    assert rows[0][:4] == ["ID", "日時(UTC)", "利用者ID", "利用者"]
    assert {row[3] for row in rows[1:]} == {world["doctor"].email, world["pharmacist"].email}
    assert response["Content-Type"].startswith("text/csv")


def test_facility_admin_sees_only_their_facility(world, signed_in):
    page = signed_in(world["clinic_admin"]).get("/audit/", {"action": "timeline.read"}).content.decode()
    assert world["doctor"].email in page and world["pharmacist"].email not in page


@pytest.mark.parametrize("who", ["doctor", "pharmacist", "family"])
def test_staff_and_family_have_no_audit_list(world, signed_in, who):
    assert signed_in(world[who]).get("/audit/").status_code == 404


def test_family_sees_who_read_their_record_with_facility_and_job(world, signed_in):
    client = signed_in(world["family"])
    page = client.get(f"/audit/patients/{world['patient'].patient_id}/").content.decode()
    assert "みまもり医院" in page and "医師" in page and "さくら薬局" in page and "薬剤師" in page
    assert world["doctor"].email not in page
    rows = _csv(client.get(f"/audit/patients/{world['patient'].patient_id}/", {"format": "csv"}))
    assert rows[0] == ["日時", "施設", "職種・続柄", "内容"]
    assert {(r[1], r[2]) for r in rows[1:]} >= {("みまもり医院", "医師"), ("さくら薬局", "薬剤師")}
    assert log.verify() == []


def test_who_read_shows_only_reads_of_that_patient(world, signed_in):
    page = signed_in(world["family"]).get(f"/audit/patients/{world['patient'].patient_id}/").content.decode()
    reads = AuditEntry.objects.filter(patient_id=world["patient"].pk, action="timeline.read").count()
    assert page.count("タイムラインを表示") == reads  # the read of 越前 一郎 is not listed


@pytest.mark.parametrize("who", ["doctor", "secretariat", "clinic_admin"])
def test_others_cannot_open_who_read(world, signed_in, who):
    response = signed_in(world[who]).get(f"/audit/patients/{world['patient'].patient_id}/")
    assert response.status_code == 404


def test_family_of_another_patient_gets_404(world, signed_in):
    stranger = make_family(world["other"], relation="長男")
    response = signed_in(stranger).get(f"/audit/patients/{world['patient'].patient_id}/")
    assert response.status_code == 404


def test_csv_cells_cannot_become_formulas(world, signed_in):
    from tests.factories import UserFactory

    log.record("test.formula", actor=UserFactory(email="=1+2@example.jp"))
    rows = _csv(signed_in(world["secretariat"]).get("/audit/", {"format": "csv", "action": "test.formula"}))
    assert rows[1][3] == "'=1+2@example.jp"


def test_bad_filter_dates_get_a_japanese_message(world, signed_in):
    page = signed_in(world["secretariat"]).get("/audit/", {"since": "2026-12-01", "until": "2026-11-01"})
    assert "開始日は終了日より前の日付にしてください。" in page.content.decode()
