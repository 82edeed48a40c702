"""The secretariat's Wagtail admin: manages facilities, patients and teams, reads no timeline."""

import pytest

from network.models import TeamLink
from tests.factories import (
    FacilityFactory,
    join_team,
    make_admin,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretariat_client(signed_in):
    user = make_secretariat()
    totp_device(user)
    return signed_in(user)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/patients/",
        "/admin/snippets/network/facility/",
        "/admin/snippets/network/facilitymembership/",
        "/admin/snippets/network/teamlink/",
        "/admin/snippets/network/memberlink/",
    ],
)
def test_secretariat_opens_its_admin_screens(secretariat_client, path):
    assert secretariat_client.get(path).status_code == 200


def test_patient_list_in_the_admin_shows_names_and_exports(secretariat_client):
    make_patient("三国 ハル", "みくに はる")
    assert "三国 ハル" in secretariat_client.get("/admin/patients/").content.decode()
    export = secretariat_client.get("/admin/patients/?export=csv")
    content = b"".join(export.streaming_content) if export.streaming else export.content
    assert "みくに はる" in content.decode("utf-8-sig")


def test_team_links_filter_by_facility(secretariat_client):
    clinic, pharmacy = FacilityFactory(name="A医院"), FacilityFactory(name="B薬局")
    p1, p2 = make_patient("一 患者", "いち"), make_patient("二 患者", "に")
    join_team(p1, clinic)
    join_team(p2, pharmacy)
    body = secretariat_client.get(
        f"/admin/snippets/network/teamlink/results/?facility={clinic.pk}"
    ).content.decode()
    assert "一 患者" in body and "二 患者" not in body


def test_secretariat_links_a_facility_in_the_admin_with_a_version(secretariat_client):
    from reversion.models import Version

    clinic = FacilityFactory()
    patient = make_patient("坂井 ナツ", "さかい なつ")
    response = secretariat_client.post(
        "/admin/snippets/network/teamlink/add/",
        {"patient": patient.pk, "facility": clinic.pk, "since": "2026-11-01 09:00:00"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    link = TeamLink.objects.get(patient=patient, facility=clinic)
    assert Version.objects.get_for_object(link).count() == 1


def test_secretariat_cannot_preview_or_view_a_patient_thread(secretariat_client):
    clinic = FacilityFactory()
    nurse = make_staff(clinic)
    patient = make_patient("丸岡 トシ", "まるおか とし")
    join_team(patient, clinic, nurse)
    assert secretariat_client.get(patient.url).status_code == 404
    preview = secretariat_client.get(f"/admin/pages/{patient.pk}/edit/preview/")
    assert 'id="team-heading"' not in preview.content.decode()
    assert nurse.get_full_name() not in preview.content.decode()


def test_patient_page_refuses_to_render_a_preview(rf):
    from django.http import Http404

    patient = make_patient("丸岡 トシ", "まるおか とし")
    with pytest.raises(Http404):
        patient.serve_preview(rf.get("/"), "")


def test_facility_admin_has_no_wagtail_admin(signed_in):
    admin = make_admin(FacilityFactory())
    totp_device(admin)
    response = signed_in(admin).get("/admin/")
    assert response.status_code in (302, 403)
    assert "/admin/" not in response.get("Location", "/accounts/login/").split("?")[0] or response.status_code == 403


def test_secretariat_registers_a_patient_in_the_admin_with_a_random_slug(secretariat_client):
    from wagtail.test.utils.form_data import rich_text

    from network.models import PatientPage, PatientsIndexPage

    index = PatientsIndexPage.objects.get()
    response = secretariat_client.post(
        f"/admin/pages/add/network/patientpage/{index.pk}/",
        {
            "title": "永平寺 ウメ",
            "name_kana": "えいへいじ うめ",
            "birth_date": "1935-02-03",
            "sex": "female",
            "address": "",
            "consent_date": "2026-11-20",
            "secretariat_note": rich_text(""),
            "action-publish": "publish",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    patient = PatientPage.objects.get(title="永平寺 ウメ")
    assert patient.live
    assert patient.slug == patient.patient_id.hex
    assert "永平寺" not in patient.url and "eiheiji" not in patient.url
