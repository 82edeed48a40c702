"""The facility console: staff invited by e-mail, linked to patients, removed."""

import re

from django.core import mail
from django.test import Client

import pytest

from network import access
from network.models import FacilityMembership, MemberLink
from tests.factories import (
    FacilityFactory,
    join_team,
    make_admin,
    make_patient,
    make_staff,
    totp_device,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic_world(signed_in):
    clinic = FacilityFactory(name="みまもり医院")
    admin = make_admin(clinic)
    totp_device(admin)
    patient = make_patient("越前 一郎", "えちぜん いちろう")
    join_team(patient, clinic)
    return {"clinic": clinic, "admin": admin, "patient": patient, "client": signed_in(admin)}


def test_admin_adds_staff_who_receives_a_japanese_invitation(clinic_world, django_capture_on_commit_callbacks):
    w = clinic_world
    with django_capture_on_commit_callbacks(execute=True):
        response = w["client"].post(
            f"/console/{w['clinic'].pk}/staff/add/",
            {
                "last_name": "坂井",
                "first_name": "美和",
                "last_name_kana": "さかい",
                "first_name_kana": "みわ",
                "email": "miwa@clinic.example.jp",
                "job_title": "看護師",
            },
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["miwa@clinic.example.jp"]
    assert message.subject == "[みまもりSNS] 利用者登録のご案内"
    assert "72時間" in message.body
    assert "パスワード" in message.body and "Test-password" not in message.body
    membership = FacilityMembership.objects.get(user__email="miwa@clinic.example.jp")
    assert membership.job_title == "看護師" and membership.facility == w["clinic"]


def test_invitation_link_sets_the_password_once(clinic_world, django_capture_on_commit_callbacks):
    w = clinic_world
    with django_capture_on_commit_callbacks(execute=True):
        w["client"].post(
            f"/console/{w['clinic'].pk}/staff/add/",
            {"last_name": "坂井", "first_name": "美和", "email": "miwa@clinic.example.jp", "job_title": "看護師"},
        )
    url = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    path = url.split("://", 1)[1].split("/", 1)[1]
    invited = Client()
    form_page = invited.get("/" + path, follow=True)
    assert "パスワードの設定" in form_page.content.decode()
    response = invited.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Kaigo-renkei-2026x", "new_password2": "Kaigo-renkei-2026x"},
    )
    assert response.status_code == 302
    assert invited.get("/home/").status_code == 200
    again = Client().get("/" + path, follow=True)
    assert "使用済みか、有効期限" in again.content.decode()


def test_linking_staff_to_a_patient_gives_them_the_timeline(clinic_world):
    w = clinic_world
    nurse = make_staff(w["clinic"])
    membership = FacilityMembership.objects.get(user=nurse)
    assert not access.can_view_patient(nurse, w["patient"])
    response = w["client"].post(
        f"/console/{w['clinic'].pk}/patients/{w['patient'].pk}/", {"membership": membership.pk}
    )
    assert response.status_code == 302
    assert access.can_view_patient(nurse, w["patient"])


def test_removing_staff_ends_their_patient_links(clinic_world):
    w = clinic_world
    nurse = make_staff(w["clinic"])
    join_team(w["patient"], w["clinic"], nurse)
    membership = FacilityMembership.objects.get(user=nurse)
    response = w["client"].post(f"/console/{w['clinic'].pk}/staff/{membership.pk}/remove/")
    assert response.status_code == 302
    assert not access.can_view_patient(nurse, w["patient"])
    assert not MemberLink.objects.active().filter(user=nurse).exists()


def test_console_lists_only_patients_linked_to_the_facility(clinic_world):
    w = clinic_world
    make_patient("若狭 ミツ", "わかさ みつ")  # not linked to the clinic
    body = w["client"].get(f"/console/{w['clinic'].pk}/").content.decode()
    assert "越前 一郎" in body
    assert "若狭 ミツ" not in body


def test_staff_cannot_open_the_console(signed_in):
    clinic = FacilityFactory()
    nurse = make_staff(clinic)
    client = signed_in(nurse)
    assert client.get("/console/").status_code == 404
    assert client.get(f"/console/{clinic.pk}/").status_code == 404
