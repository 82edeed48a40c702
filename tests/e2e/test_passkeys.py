"""Passkeys as a second factor: registered and then used in Chromium with a virtual
authenticator (Chrome DevTools WebAuthn domain); the server verifies both ceremonies."""

import time

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from tests.conftest import current_code
from tests.factories import PASSWORD, FacilityFactory, make_admin, totp_device

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def _password(page, site, email):
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("メールアドレス（ログインID）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def test_admin_registers_a_passkey_and_signs_in_with_it(live_server, page, settings, shot):
    site = live_server.url.replace("127.0.0.1", "localhost").rstrip("/")
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [site]
    page.set_default_timeout(15_000)
    clinic = FacilityFactory()
    admin = make_admin(clinic, email="admin@example.jp")
    device = totp_device(admin)
    _virtual_authenticator(page)

    _password(page, site, admin.email)
    page.get_by_label("確認コード").fill(current_code(device))
    page.get_by_role("button", name="確認").click()
    expect(page).to_have_url(f"{site}/home/")

    page.goto(f"{site}/2fa/")
    page.locator("#passkey-register-button").click()
    deadline = time.monotonic() + 15
    while not WebAuthnCredential.objects.filter(user=admin).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    shot(page, "trust-03-passkey-registered")
    assert WebAuthnCredential.objects.filter(user=admin, confirmed=True).count() == 1

    page.context.clear_cookies()
    _password(page, site, admin.email)
    expect(page).to_have_url(f"{site}/2fa/verify/?next=%2Fhome%2F")
    before = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    page.locator("#passkey-verification-button").click()
    expect(page).to_have_url(f"{site}/home/")
    after = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    assert after != before  # a new session id after the second factor
    shot(page, "trust-04-passkey-verified")
    assert WebAuthnCredential.objects.get(user=admin).sign_count >= 0
