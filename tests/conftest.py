from django.conf import settings
from django.test import Client

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_axes(db):
    """Lockout counters are state of the database, but be explicit: each test starts clean."""
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def current_code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in(client, user, password=PASSWORD, remote_addr="127.0.0.1"):
    """Sign in through the real login page, and pass the second factor if the user has one."""
    response = client.post(
        "/accounts/login/",
        {"username": user.email, "password": password},
        REMOTE_ADDR=remote_addr,
    )
    assert response.status_code == 302, response.content.decode()[:500]
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        response = client.post("/2fa/verify/", {"token": current_code(device)})
        assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.fixture
def signed_in():
    """signed_in(user) -> a Client signed in as ``user`` through the real pages."""

    def _make(user, **kwargs):
        return sign_in(Client(), user, **kwargs)

    return _make


@pytest.fixture(autouse=True)
def _audit_append_only_and_fresh_limits(request):
    """The audit table refuses UPDATE and DELETE (triggers from a migration). Tests with a
    transactional database end with a flush that deletes every row, so there the triggers
    are lifted at teardown and put back at the start of the next test. Rate-limit counters
    start at zero in every test."""
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        yield
        return
    from django.core.cache import caches
    from django.db import connection

    from audit import triggers

    caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")].clear()
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and marker.kwargs.get("transaction"))
    )
    if transactional:
        request.getfixturevalue("transactional_db")
    else:
        request.getfixturevalue("db")
    triggers.install(connection)
    yield
    if transactional:
        triggers.remove(connection)
