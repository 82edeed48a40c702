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


def _session_row(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.session.session_key)


def test_thirty_idle_minutes_sign_the_user_out(signed_in, settings):
    from datetime import timedelta

    from django.utils import timezone

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client = signed_in(make_staff(FacilityFactory()))
    assert client.get("/home/").status_code == 200
    row = _session_row(client)
    row.expire_date = timezone.now() - timedelta(seconds=1)
    row.save()
    response = client.get("/home/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_activity_after_a_minute_renews_the_idle_timeout(signed_in):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.sessions import REFRESHED_KEY

    client = signed_in(make_staff(FacilityFactory()))
    client.get("/home/")
    session = client.session
    session[REFRESHED_KEY] -= 61  # the last renewal was over a minute ago
    session.save()
    row = _session_row(client)
    row.expire_date = timezone.now() + timedelta(minutes=2)
    row.save()
    assert client.get("/home/").status_code == 200
    remaining = _session_row(client).expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def test_requests_within_a_minute_do_not_write_the_session(signed_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(make_staff(FacilityFactory()))
    client.get("/home/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/home/").status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
