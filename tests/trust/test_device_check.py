"""The device check behind the TLS proxy, request by request (headers as nginx sends them)."""

import pytest

from audit.models import AuditEntry
from trust import ca, services

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


@pytest.fixture
def enforced(settings):
    settings.TRUST_REQUIRE_DEVICE_CERTIFICATE = True
    settings.TRUSTED_PROXY_ADDRESSES = [PROXY]


@pytest.fixture
def nurse_cert(world):
    cert, _p, _t = ca.issue_client_certificate(world["nurse"], "PC", facility=world["clinic"])
    return cert


def _get(client, verify="SUCCESS", serial=None, addr=PROXY, path="/home/"):
    headers = {"REMOTE_ADDR": addr}
    if verify is not None:
        headers["HTTP_X_SSL_CLIENT_VERIFY"] = verify
    if serial is not None:
        # nginx prints the serial in hex, sometimes with a leading zero
        headers["HTTP_X_SSL_CLIENT_SERIAL"] = f"0{int(serial):X}"
    return client.get(path, **headers)


def test_own_active_certificate_from_the_proxy_is_accepted(world, enforced, nurse_cert):
    client = world["signed_in"](world["nurse"], remote_addr=PROXY)
    assert _get(client, serial=nurse_cert.serial_number).status_code == 200


def test_no_certificate_is_refused(world, enforced, nurse_cert):
    client = world["signed_in"](world["nurse"], remote_addr=PROXY)
    response = _get(client, verify="NONE")
    assert response.status_code == 403
    assert "端末証明書が入っていない" in response.content.decode()


def test_proxy_verification_failure_is_refused_even_with_a_serial(world, enforced, nurse_cert):
    client = world["signed_in"](world["nurse"], remote_addr=PROXY)
    response = _get(client, verify="FAILED:certificate revoked", serial=nurse_cert.serial_number)
    assert response.status_code == 403
    assert "確認できませんでした" in response.content.decode()


def test_another_users_certificate_is_refused(world, enforced, nurse_cert):
    client = world["signed_in"](world["doctor"], remote_addr=PROXY)
    response = _get(client, serial=nurse_cert.serial_number)
    assert response.status_code == 403
    assert "別の利用者のもの" in response.content.decode()


def test_revoked_certificate_is_refused_before_the_proxy_reloads_its_crl(world, enforced, nurse_cert):
    services.revoke_certificate(nurse_cert, actor=world["admin"])
    client = world["signed_in"](world["nurse"], remote_addr=PROXY)
    response = _get(client, serial=nurse_cert.serial_number)  # stale proxy still says SUCCESS
    assert response.status_code == 403
    assert "失効しているか" in response.content.decode()


def test_forged_headers_from_an_untrusted_address_are_ignored(world, enforced, nurse_cert):
    client = world["signed_in"](world["nurse"], remote_addr="192.0.2.9")
    response = _get(client, serial=nurse_cert.serial_number, addr="192.0.2.9")
    assert response.status_code == 403
    assert "TLSプロキシ" in response.content.decode()


def test_headers_are_stripped_when_not_from_the_proxy(world, settings, nurse_cert):
    settings.TRUSTED_PROXY_ADDRESSES = [PROXY]
    client = world["signed_in"](world["nurse"])
    response = _get(client, serial=nurse_cert.serial_number, addr="192.0.2.9", path="/trust/devices/mine/")
    assert response.status_code == 200
    assert response.wsgi_request.client_verify == ""
    assert response.wsgi_request.client_serial is None
    assert "HTTP_X_SSL_CLIENT_VERIFY" not in response.wsgi_request.META


def test_without_the_proxy_the_ui_says_the_second_factor_stands_in(world):
    client = world["signed_in"](world["nurse"])
    page = client.get("/trust/devices/mine/").content.decode()
    assert "二要素認証（認証アプリ）が端末確認の代わりになります" in page


def test_sign_out_and_the_crl_need_no_certificate(world, enforced):
    client = world["signed_in"](world["nurse"], remote_addr=PROXY)
    assert _get(client, verify="NONE", path="/trust/crl.pem").status_code == 200
    response = client.post("/accounts/logout/", REMOTE_ADDR=PROXY)
    assert response.status_code in (200, 302)
    assert "_auth_user_id" not in client.session


def test_disaster_mode_admits_without_certificate_and_flags_actions(world, enforced):
    services.start_disaster_mode("地震による停電", 12, actor=world["secretariat"])
    client = world["signed_in"](world["nurse"], remote_addr=PROXY)
    response = _get(client, verify="NONE")
    assert response.status_code == 200
    assert "災害時モード実施中" in response.content.decode()
    client.post("/i18n/setlang/", {"language": "ja", "next": "/home/"}, REMOTE_ADDR=PROXY)
    flagged = AuditEntry.objects.filter(action="disaster.request", actor_id=world["nurse"].pk)
    assert flagged.count() == 1
    assert flagged.get().disaster_mode is True
