"""Headers, cookies, session limits, error pages, rate limits and the deploy check."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

import pytest

from audit.middleware import AUTH_AT
from audit.models import AuditEntry
from audit.ratelimit import rate_limited
from tests.factories import (
    PASSWORD,
    FacilityFactory,
    join_team,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def nurse_and_patient():
    clinic = FacilityFactory()
    nurse = make_staff(clinic)
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, clinic, nurse)
    return nurse, patient


def _policy(response):
    return dict(
        (part.strip().split(" ", 1) + [""])[:2]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    )


def test_pages_carry_a_strict_content_security_policy(nurse_and_patient, signed_in):
    nurse, patient = nurse_and_patient
    response = signed_in(nurse).get(patient.url)
    policy = _policy(response)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'self'"


def test_rendered_pages_have_no_inline_scripts_or_handlers(nurse_and_patient, signed_in):
    nurse, patient = nurse_and_patient
    client = signed_in(nurse)
    client.post(patient.url, {"body": "本文"})
    for path in (patient.url, "/home/", "/timeline/notifications/", "/2fa/", "/accounts/login/"):
        html = client.get(path).content.decode()
        for script in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in script or "application/json" in script, (path, script)
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert "javascript:" not in html, path


def test_the_admin_gets_its_own_policy_without_framing(signed_in):
    secretariat = make_secretariat()
    totp_device(secretariat)
    response = signed_in(secretariat).get("/admin/")
    policy = _policy(response)
    assert "'unsafe-inline'" in policy["script-src"] and policy["frame-ancestors"] == "'none'"


def test_security_headers(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_session_cookie_is_httponly_and_samesite(nurse_and_patient):
    client = Client()
    client.post("/accounts/login/", {"username": nurse_and_patient[0].email, "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert settings.SESSION_COOKIE_AGE == 30 * 60  # idle limit, renewed by accounts.sessions
    assert client.cookies[settings.CSRF_COOKIE_NAME]["httponly"]


def _production_env(**extra):
    # A clean environment as in production (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE).
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY="production-like-key-" + "x7Q" * 20,
        ALLOWED_HOSTS="mimamori.example.jp",
        **extra,
    )
    return env


def test_deploy_check_is_clean_with_production_settings():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=_production_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_secure():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS >= 31536000,"
        " s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS, s.DEBUG)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django;django.setup();{code}"],
        cwd=ROOT, env=_production_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.stdout.split() == ["True", "True", "True", "True", "True", "DENY", "False"], result.stderr


def test_session_ends_twelve_hours_after_sign_in_despite_activity(nurse_and_patient, signed_in):
    nurse, patient = nurse_and_patient
    client = signed_in(nurse)
    assert client.get(patient.url).status_code == 200
    session = client.session
    session[AUTH_AT] = time.time() - 12 * 60 * 60 - 1
    session.save()
    response = client.get(patient.url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.session_expired", actor_id=nurse.pk).exists()


def test_signing_out_ends_every_session_of_that_person(nurse_and_patient, signed_in):
    nurse, patient = nurse_and_patient
    phone, desktop = signed_in(nurse), signed_in(nurse)
    assert phone.get(patient.url).status_code == 200 and desktop.get(patient.url).status_code == 200
    phone.post("/accounts/logout/")
    response = desktop.get(patient.url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_deactivating_an_account_ends_its_sessions(nurse_and_patient, signed_in):
    nurse, patient = nurse_and_patient
    client = signed_in(nurse)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    nurse.is_active = False
    nurse.save()
    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEntry.objects.filter(action="account.deactivated", target_id=str(nurse.pk)).exists()
    assert client.get(patient.url).status_code == 302


@pytest.mark.urls("tests.security.error_urls")
def test_server_error_page_is_japanese_without_internals():
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/500/")
    body = response.content.decode()
    assert response.status_code == 500 and "ただいま処理できませんでした" in body
    assert "secret internal detail" not in body and "Traceback" not in body and "settings.py" not in body


@pytest.mark.urls("tests.security.error_urls")
def test_forbidden_page_is_japanese_without_the_reason(client):
    response = client.get("/test-errors/403/")
    body = response.content.decode()
    assert response.status_code == 403 and "この操作はできません" in body and "internal reason" not in body


def test_not_found_page_is_japanese(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404 and "ページが見つかりません" in response.content.decode()


def test_bad_host_gets_the_japanese_400_page():
    response = Client().get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400 and "リクエストを処理できません" in response.content.decode()


def test_sign_in_attempts_are_rate_limited_per_address(client):
    for i in range(30):
        client.post("/accounts/login/", {"username": f"nobody{i}@example.jp", "password": "x"},
                    REMOTE_ADDR="198.51.100.7")
    response = client.post("/accounts/login/", {"username": "x@example.jp", "password": "x"},
                           REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429 and "しばらくお待ちください" in response.content.decode()
    other = client.post("/accounts/login/", {"username": "x@example.jp", "password": "x"},
                        REMOTE_ADDR="198.51.100.8")
    assert other.status_code == 200
    assert AuditEntry.objects.filter(action="ratelimit", decision="denied", address="198.51.100.7").exists()


def test_uploads_are_rate_limited_per_person(nurse_and_patient, signed_in, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.RATE_LIMITS = [{"name": "upload", "methods": ["POST"], "with_files": True, "rate": "2/h"}]
    nurse, patient = nurse_and_patient
    client = signed_in(nurse)
    codes = [
        client.post(patient.url, {"body": f"{i}", "files": [SimpleUploadedFile("a.txt", b"x")]}).status_code
        for i in range(3)
    ]
    assert codes[-1] == 429 and 429 not in codes[:2]


def test_text_posts_are_not_counted_as_uploads(nurse_and_patient, signed_in, settings):
    # The composer's form is multipart (it can carry photos); a post without a file is
    # not an upload, so a busy nurse is never stopped by the upload limit.
    settings.RATE_LIMITS = [{"name": "upload", "methods": ["POST"], "with_files": True, "rate": "2/h"}]
    nurse, patient = nurse_and_patient
    client = signed_in(nurse)
    codes = [client.post(patient.url, {"body": f"訪問しました {i}"}).status_code for i in range(4)]
    assert codes == [302] * 4


def test_search_decorator_limits_per_person(rf, nurse_and_patient):
    @rate_limited("search", "2/m")
    def search(request):
        from django.http import HttpResponse

        return HttpResponse("ok")

    nurse, _patient = nurse_and_patient
    statuses = []
    for _ in range(3):
        request = rf.get("/search/", {"q": "発熱"})
        request.user = nurse
        statuses.append(search(request).status_code)
    assert statuses == [200, 200, 429]
