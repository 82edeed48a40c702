"""Japanese sign-in, session id renewal and django-axes lockout."""

from django.test import Client

import pytest

from tests.factories import FacilityFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db


def _post_login(client, email, password, addr="10.0.0.1"):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=addr)


def test_login_page_is_japanese(client):
    response = client.get("/accounts/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ja">' in body
    assert "メールアドレス（ログインID）" in body and "パスワード" in body


def test_wrong_password_gets_japanese_message_and_stays_anonymous(client):
    user = UserFactory()
    response = _post_login(client, user.email, "wrong-password-1")
    assert response.status_code == 200
    assert "メールアドレスまたはパスワードが正しくありません" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_gives_a_new_session_id(client):
    user = make_staff(FacilityFactory())
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    response = _post_login(client, user.email, "Test-password-2026")
    assert response.status_code == 302
    assert client.session.session_key != before


def test_login_is_case_insensitive_on_the_email(client):
    user = make_staff(FacilityFactory())
    response = _post_login(client, user.email.upper(), "Test-password-2026")
    assert response.status_code == 302


def test_five_failures_lock_the_account_from_that_address():
    user = UserFactory()
    client = Client()
    for _ in range(5):
        _post_login(client, user.email, "wrong-password-1")
    response = _post_login(client, user.email, "Test-password-2026")
    assert response.status_code == 429
    body = response.content.decode()
    assert "ログインが一時的に制限されています" in body
    assert "15分" in body
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock():
    user = UserFactory()
    client = Client()
    for _ in range(4):
        _post_login(client, user.email, "wrong-password-1")
    assert _post_login(client, user.email, "Test-password-2026").status_code == 302


def test_lockout_leaves_other_accounts_alone():
    victim, other = UserFactory(), UserFactory()
    client = Client()
    for _ in range(5):
        _post_login(client, victim.email, "wrong-password-1")
    assert _post_login(Client(), other.email, "Test-password-2026").status_code == 302


def test_lockout_is_per_address_too():
    user = UserFactory()
    for _ in range(5):
        _post_login(Client(), user.email, "wrong-password-1", addr="10.0.0.1")
    assert _post_login(Client(), user.email, "Test-password-2026", addr="10.0.0.2").status_code == 302


def test_logout_needs_post_and_ends_the_session(signed_in):
    user = make_staff(FacilityFactory())
    client = signed_in(user)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 200
    assert "ログアウトしました" in response.content.decode()
    assert client.get("/home/").status_code == 302


def test_idle_timeout_is_thirty_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
