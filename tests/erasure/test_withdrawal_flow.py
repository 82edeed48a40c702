"""The secretariat withdraws consent from the admin or the command line; the certificate's access."""

import io

from django.core import mail
from django.core.management import CommandError, call_command

import pytest
from pypdf import PdfReader

from erasure.models import Tombstone
from erasure.services import AlreadyWithdrawn, WithdrawalError, withdraw_consent
from network.models import PatientPage
from tests.factories import (
    FacilityFactory,
    join_team,
    make_admin,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)
from timeline.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    station = FacilityFactory(name="ひまわり訪問看護", kind="visiting_nurse")
    admin = make_admin(station, email="admin@station.example.jp")
    totp_device(admin)
    nurse = make_staff(station)
    patient = make_patient("越前 一郎", "えちぜん いちろう")
    join_team(patient, station, nurse)
    Post.objects.create(patient=patient, author=nurse, facility=station, body="訪問しました")
    secretariat = make_secretariat(email="office@example.jp")
    totp_device(secretariat)
    return {"station": station, "admin": admin, "nurse": nurse, "patient": patient,
            "secretariat": secretariat}


def test_secretariat_withdraws_from_the_admin(team, signed_in, django_capture_on_commit_callbacks):
    client = signed_in(team["secretariat"])
    url = f"/admin/erasure/withdraw/{team['patient'].patient_id}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "越前 一郎" in page.content.decode() and "投稿 1 件" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reference": "R8-0021", "reason": "本人の申出", "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/admin/erasure/certificates/"
    assert not PatientPage.objects.filter(pk=team["patient"].pk).exists()
    tombstone = Tombstone.objects.get()
    assert tombstone.reference == "R8-0021" and tombstone.facility_ids == [team["station"].pk]
    listing = client.get("/admin/erasure/certificates/").content.decode()
    assert "R8-0021" in listing and str(tombstone.id) in listing
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@station.example.jp", "office@example.jp"]
    assert all(m.attachments[0][2] == "application/pdf" for m in mail.outbox)
    assert all("越前" not in m.body for m in mail.outbox)


def test_the_confirm_form_needs_a_reference_and_the_tick(team, signed_in):
    client = signed_in(team["secretariat"])
    response = client.post(f"/admin/erasure/withdraw/{team['patient'].patient_id}/", {"reference": ""})
    content = response.content.decode()
    assert response.status_code == 200
    assert "受付番号を入力してください。" in content and "削除の確認にチェックを入れてください。" in content
    assert PatientPage.objects.filter(pk=team["patient"].pk).exists()


def test_a_reference_naming_the_patient_is_refused(team):
    with pytest.raises(WithdrawalError) as error:
        withdraw_consent(team["patient"], by=team["secretariat"], reference="越前一郎 分")
    assert "氏名を書かないでください" in error.value.message
    assert PatientPage.objects.filter(pk=team["patient"].pk).exists()
    assert not Tombstone.objects.exists()


def test_withdrawing_twice_changes_nothing_and_says_so(team, signed_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = withdraw_consent(team["patient"], by=team["secretariat"], reference="R8-0022")
    with pytest.raises(AlreadyWithdrawn) as error:
        withdraw_consent(team["patient"], by=team["secretariat"], reference="R8-0023")
    assert "すでに完了しています" in error.value.message and str(first.id) in error.value.message
    assert list(Tombstone.objects.values_list("reference", flat=True)) == ["R8-0022"]
    # A second clerk's stale confirm page.
    client = signed_in(team["secretariat"])
    response = client.post(
        f"/admin/erasure/withdraw/{team['patient'].patient_id}/",
        {"reference": "R8-0024", "confirm": "on"},
        follow=True,
    )
    assert "すでに完了しています" in response.content.decode()
    assert Tombstone.objects.count() == 1


def test_only_the_secretariat_may_withdraw(team, signed_in):
    for user in (team["admin"], team["nurse"]):
        response = signed_in(user).post(
            f"/admin/erasure/withdraw/{team['patient'].patient_id}/",
            {"reference": "R8-0025", "confirm": "on"},
        )
        assert response.status_code in (302, 403, 404)
        assert PatientPage.objects.filter(pk=team["patient"].pk).exists()


def test_wagtail_page_deletion_sends_the_patient_to_the_withdrawal(team, signed_in):
    client = signed_in(team["secretariat"])
    response = client.post(f"/admin/pages/{team['patient'].pk}/delete/")
    assert PatientPage.objects.filter(pk=team["patient"].pk).exists()
    assert response.status_code in (302, 403)


def test_the_command_withdraws_and_refuses_a_second_time(team, django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("withdraw_consent", str(team["patient"].patient_id), reference="R8-0026",
                     by="office@example.jp", stdout=out)
    assert "削除証明書番号" in out.getvalue()
    assert not PatientPage.objects.filter(pk=team["patient"].pk).exists()
    with pytest.raises(CommandError, match="すでに完了しています"):
        call_command("withdraw_consent", str(team["patient"].patient_id), reference="R8-0027")
    with pytest.raises(CommandError, match="見つかりません"):
        call_command("withdraw_consent", "00000000-0000-4000-8000-000000000000", reference="x")


def test_the_certificate_is_for_the_secretariat_and_the_team_admins_only(team, signed_in):
    tombstone = withdraw_consent(team["patient"], by=team["secretariat"], reference="R8-0028")
    url = f"/erasure/certificates/{tombstone.id}/"
    for user in (team["secretariat"], team["admin"]):
        response = signed_in(user).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        assert "削除証明書" in text and "R8-0028" in text and "越前" not in text
    other_admin = make_admin(FacilityFactory())
    totp_device(other_admin)
    assert signed_in(other_admin).get(url).status_code == 404
    assert signed_in(team["nurse"]).get(url).status_code == 404


def test_the_patients_listing_and_the_edit_page_offer_the_withdrawal(team, signed_in):
    client = signed_in(team["secretariat"])
    url = f"/admin/erasure/withdraw/{team['patient'].patient_id}/"
    assert url in client.get("/admin/patients/").content.decode()
    assert url in client.get(f"/admin/pages/{team['patient'].pk}/edit/").content.decode()


def test_a_superuser_cannot_delete_a_patient_page_the_wagtail_way(team, signed_in):
    from tests.factories import UserFactory

    root = UserFactory(is_superuser=True, is_staff=True)
    totp_device(root)
    client = signed_in(root)
    pk = team["patient"].pk
    client.post(f"/admin/pages/{pk}/delete/")
    client.post(f"/admin/bulk/wagtailcore/page/delete/?id={pk}")
    assert PatientPage.objects.filter(pk=pk).exists()
