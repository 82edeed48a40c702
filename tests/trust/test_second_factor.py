"""Second factor: required for the secretariat and facility admins, optional for others."""

from django.test import Client

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import current_code
from tests.factories import (
    PASSWORD,
    FacilityFactory,
    make_admin,
    make_secretariat,
    make_staff,
    totp_device,
)

pytestmark = pytest.mark.django_db


def _password_only(user):
    client = Client()
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("path", ["/home/", "/console/", "/admin/"])
def test_admin_without_device_must_enrol_first(path):
    admin = make_admin(FacilityFactory())
    response = _password_only(admin).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/2fa/setup/")


def test_secretariat_without_device_must_enrol_before_the_wagtail_admin():
    response = _password_only(make_secretariat()).get("/admin/")
    assert response["Location"].startswith("/2fa/setup/")


def test_admin_with_device_is_asked_for_the_code_and_gets_a_new_session_id():
    admin = make_admin(FacilityFactory())
    device = totp_device(admin)
    client = _password_only(admin)
    response = client.get("/console/")
    assert response["Location"].startswith("/2fa/verify/")
    before = client.session.session_key
    response = client.post("/2fa/verify/", {"token": current_code(device), "next": "/console/"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.session.session_key != before
    assert client.get("/console/").status_code == 302  # one facility: redirected into its console
    assert client.get("/console/", follow=True).status_code == 200


def test_wrong_code_is_refused_in_japanese():
    admin = make_admin(FacilityFactory())
    device = totp_device(admin)
    client = _password_only(admin)
    wrong = f"{(int(current_code(device)) + 1) % 1000000:06d}"
    response = client.post("/2fa/verify/", {"token": wrong})
    assert response.status_code == 200
    assert "確認コードが正しくありません" in response.content.decode()
    assert client.get("/console/")["Location"].startswith("/2fa/verify/")


def test_staff_without_device_needs_no_second_factor():
    staff = make_staff(FacilityFactory())
    assert _password_only(staff).get("/home/").status_code == 200


def test_staff_who_enrolled_is_always_asked():
    staff = make_staff(FacilityFactory())
    totp_device(staff)
    assert _password_only(staff).get("/home/")["Location"].startswith("/2fa/verify/")


def test_enrolment_confirms_the_device_and_shows_backup_codes_once():
    admin = make_admin(FacilityFactory())
    client = _password_only(admin)
    page = client.get("/2fa/setup/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "二要素認証の設定" in body
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    response = client.post("/2fa/setup/", {"token": current_code(device)})
    assert response.status_code == 200
    assert "バックアップコード" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=admin).count() == 10
    assert client.get("/console/", follow=True).status_code == 200


def test_a_backup_code_works_once():
    admin = make_admin(FacilityFactory())
    totp_device(admin)
    client = _password_only(admin)
    # enrol backup codes through the overview after verifying once
    from tests.conftest import sign_in

    verified = sign_in(Client(), admin)
    response = verified.post("/2fa/", {"action": "backup_codes"})
    code = StaticToken.objects.filter(device__user=admin).first().token
    assert code in response.content.decode()
    assert client.post("/2fa/verify/", {"token": code}).status_code == 302
    again = _password_only(admin)
    assert again.post("/2fa/verify/", {"token": code}).status_code == 200


def test_a_right_code_right_after_a_wrong_one_says_to_wait_not_that_it_is_wrong():
    admin = make_admin(FacilityFactory())
    device = totp_device(admin)
    client = _password_only(admin)
    wrong = f"{(int(current_code(device)) + 1) % 1000000:06d}"
    client.post("/2fa/verify/", {"token": wrong})
    response = client.post("/2fa/verify/", {"token": current_code(device)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "秒間は入力を受け付けません" in body


def test_pages_owed_a_second_factor_show_no_menu():
    admin = make_admin(FacilityFactory())
    totp_device(admin)
    body = _password_only(admin).get("/2fa/verify/").content.decode()
    assert "施設の管理" not in body and "患者一覧" not in body
    assert "ログアウト" in body
