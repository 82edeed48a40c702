"""Passkeys (django-otp-webauthn) stand next to TOTP as a second factor, never instead of the password."""

from django.test import Client

import pytest

pytestmark = pytest.mark.django_db


def test_passwordless_sign_in_is_refused():
    response = Client().post(
        "/webauthn/authentication/begin/", content_type="application/json", data="{}"
    )
    assert response.status_code >= 400
    assert "_auth_user_id" not in Client().session


def test_overview_offers_passkey_registration(world):
    page = world["signed_in"](world["nurse"]).get("/2fa/").content.decode()
    assert 'id="passkey-registration-placeholder"' in page
    assert "otp_webauthn_config" in page


def test_verify_page_offers_passkey_only_to_users_with_one(world):
    from django_otp_webauthn.models import WebAuthnCredential

    from tests.factories import PASSWORD

    client = Client()
    client.post("/accounts/login/", {"username": world["admin"].email, "password": PASSWORD})
    assert "passkey-verification-button" not in client.get("/2fa/verify/").content.decode()
    WebAuthnCredential.objects.create(
        user=world["admin"], name="key", confirmed=True, credential_id=b"x" * 16,
        public_key=b"k", sign_count=0, credential_id_sha256="a" * 64,
    )
    assert "passkey-verification-button" in client.get("/2fa/verify/").content.decode()
