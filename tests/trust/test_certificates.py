"""Device certificates: issued by the right person, delivered once, revoked into the CRL."""

import io
import re
import subprocess
from datetime import timedelta

from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from network import services as network_services
from trust import ca, services
from trust.models import CertificateAuthority, DeviceCertificate

from .conftest import membership_of

pytestmark = pytest.mark.django_db


def _issue_via_console(client, membership, device="訪問用タブレット1", callbacks=None):
    return client.post(
        "/trust/devices/", {"membership": membership.pk, "device_name": device}
    )


def _issued(world, django_capture_on_commit_callbacks, device="訪問用タブレット1"):
    client = world["signed_in"](world["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _issue_via_console(client, membership_of(world["nurse"], world["clinic"]), device)
    assert response.status_code == 200
    page = response.content.decode()
    password = re.search(r'id="bundle-password">([A-Z0-9-]+)<', page).group(1)
    url = re.search(r'id="download-link">([^<]+)<', page).group(1)
    return client, page, password, url


def test_ca_key_is_stored_encrypted_with_the_passphrase(authority):
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(authority.encrypted_key_pem.encode(), password=None)
    key = serialization.load_pem_private_key(
        authority.encrypted_key_pem.encode(), password=b"test-only-ca-passphrase"
    )
    cert = x509.load_pem_x509_certificate(authority.certificate_pem.encode())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()


def test_init_ca_twice_is_refused(authority):
    with pytest.raises(CommandError, match="すでに作成"):
        call_command("init_ca")
    assert CertificateAuthority.objects.count() == 1


def test_admin_issues_a_certificate_password_on_screen_link_by_mail(world, django_capture_on_commit_callbacks):
    _client, page, password, url = _issued(world, django_capture_on_commit_callbacks)
    cert = DeviceCertificate.objects.get(user=world["nurse"])
    assert cert.facility == world["clinic"] and cert.issued_by == world["admin"]
    assert cert.not_after - cert.not_before >= timedelta(days=365)
    assert "この画面でだけ表示します" in page
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world["nurse"].email]
    assert "端末証明書" in message.subject
    token_path = url.split("://", 1)[1].split("/", 1)[1]
    assert "/" + token_path in message.body
    assert password not in message.body  # never mailed together


def test_bundle_is_downloaded_once_and_opens_with_the_password(world, django_capture_on_commit_callbacks, tmp_path):
    _client, _page, password, url = _issued(world, django_capture_on_commit_callbacks)
    path = url.split("://", 1)[1].split("/", 1)[1]
    from django.test import Client

    device = Client()  # the new device: not signed in, no certificate yet
    assert device.get("/" + path).status_code == 200  # showing the page uses nothing up
    response = device.post("/" + path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pkcs12"
    bundle = b"".join(response.streaming_content) if response.streaming else response.content
    key, cert, extra = pkcs12.load_key_and_certificates(bundle, password.encode())
    assert cert.serial_number == int(DeviceCertificate.objects.get().serial_number)
    assert world["nurse"].email in cert.subject.rfc4514_string()
    assert len(extra) == 1  # the CA certificate
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(bundle, b"wrong-password")
    # AES-256 as openssl sees it
    p12 = tmp_path / "b.p12"
    p12.write_bytes(bundle)
    info = subprocess.run(  # noqa: S603
        ["/usr/bin/openssl", "pkcs12", "-in", str(p12), "-info", "-noout", "-passin", f"pass:{password}"],
        capture_output=True, text=True, check=True,
    )
    assert "AES-256-CBC" in info.stderr + info.stdout

    again = device.post("/" + path)
    assert again.status_code == 410
    assert "すでに受け取られています" in again.content.decode()
    assert DeviceCertificate.objects.get().bundle is None


def test_unknown_download_link_is_refused():
    from django.test import Client

    response = Client().post("/trust/download/not-a-token/")
    assert response.status_code == 410
    assert "受け取りリンクが正しくありません" in response.content.decode()


def test_admin_cannot_issue_for_another_facilitys_staff(world):
    client = world["signed_in"](world["admin"])
    response = _issue_via_console(client, membership_of(world["pharmacist"], world["other"]))
    assert response.status_code == 200
    assert "この利用者の証明書は発行できません" in response.content.decode()
    assert not DeviceCertificate.objects.exists()


def test_admin_cannot_issue_for_themself(world):
    client = world["signed_in"](world["admin"])
    response = _issue_via_console(client, membership_of(world["admin"], world["clinic"]))
    assert "この利用者の証明書は発行できません" in response.content.decode()
    assert not DeviceCertificate.objects.exists()


def test_secretariat_issues_for_facility_admins_only(world):
    client = world["signed_in"](world["secretariat"])
    ok = _issue_via_console(client, membership_of(world["admin"], world["clinic"]), "事務所PC")
    assert ok.status_code == 200
    assert DeviceCertificate.objects.filter(user=world["admin"]).count() == 1
    refused = _issue_via_console(client, membership_of(world["nurse"], world["clinic"]))
    assert "この利用者の証明書は発行できません" in refused.content.decode()
    assert not DeviceCertificate.objects.filter(user=world["nurse"]).exists()


def test_staff_see_no_management_page(world):
    client = world["signed_in"](world["nurse"])
    assert client.get("/trust/devices/").status_code == 404
    assert client.get("/trust/devices/mine/").status_code == 200


def test_revocation_lands_in_the_crl_at_the_public_url(world):
    cert, _password, _token = ca.issue_client_certificate(world["nurse"], "PC", facility=world["clinic"])
    client = world["signed_in"](world["admin"])
    response = client.post(f"/trust/devices/{cert.pk}/revoke/", follow=True)
    assert "失効させました" in response.content.decode()
    from django.test import Client

    public = Client()
    pem = public.get("/trust/crl.pem")
    der = public.get("/trust/crl.der")
    assert pem.status_code == der.status_code == 200
    assert der["Content-Type"] == "application/pkix-crl"
    crl = x509.load_pem_x509_crl(pem.content)
    assert crl.get_revoked_certificate_by_serial_number(int(cert.serial_number)) is not None
    assert x509.load_der_x509_crl(der.content).get_revoked_certificate_by_serial_number(int(cert.serial_number))
    ca_cert = x509.load_pem_x509_certificate(public.get("/trust/ca.pem").content)
    assert crl.is_signature_valid(ca_cert.public_key())


def test_revoking_twice_is_refused_with_a_message(world):
    cert, _p, _t = ca.issue_client_certificate(world["nurse"], "PC", facility=world["clinic"])
    client = world["signed_in"](world["admin"])
    client.post(f"/trust/devices/{cert.pk}/revoke/")
    number = CertificateAuthority.objects.get().crl_number
    response = client.post(f"/trust/devices/{cert.pk}/revoke/", follow=True)
    assert "この証明書はすでに失効しています" in response.content.decode()
    assert CertificateAuthority.objects.get().crl_number == number


def test_another_facilitys_certificate_cannot_be_revoked(world):
    cert, _p, _t = ca.issue_client_certificate(world["pharmacist"], "PC", facility=world["other"])
    client = world["signed_in"](world["admin"])
    assert client.post(f"/trust/devices/{cert.pk}/revoke/").status_code == 404
    cert.refresh_from_db()
    assert cert.revoked_at is None


def test_leaving_the_facility_revokes_its_certificates(world):
    cert, _p, _t = ca.issue_client_certificate(world["nurse"], "PC", facility=world["clinic"])
    network_services.end_membership(membership_of(world["nurse"], world["clinic"]))
    cert.refresh_from_db()
    assert cert.revoked_at is not None
    crl = x509.load_pem_x509_crl(CertificateAuthority.objects.get().crl_pem.encode())
    assert crl.get_revoked_certificate_by_serial_number(int(cert.serial_number)) is not None


def test_renewal_reminder_mailed_once_in_japanese(world):
    soon, _p, _t = ca.issue_client_certificate(world["nurse"], "タブレット", facility=world["clinic"])
    later, _p, _t = ca.issue_client_certificate(world["doctor"], "PC", facility=world["clinic"])
    DeviceCertificate.objects.filter(pk=soon.pk).update(not_after=timezone.now() + timedelta(days=20))
    call_command("send_certificate_reminders")
    assert [m.to for m in mail.outbox] == [[world["nurse"].email]]
    assert "有効期限" in mail.outbox[0].subject and "タブレット" in mail.outbox[0].body
    call_command("send_certificate_reminders")
    assert len(mail.outbox) == 1


def test_refresh_crl_moves_next_update(authority):
    before = CertificateAuthority.objects.get()
    call_command("refresh_crl")
    after = CertificateAuthority.objects.get()
    assert after.crl_number == before.crl_number + 1
    assert after.crl_next_update >= before.crl_next_update


def test_issue_without_a_ca_gives_a_clear_message(db):
    from tests.factories import FacilityFactory, make_staff

    clinic = FacilityFactory()
    nurse = make_staff(clinic)
    with pytest.raises(services.TrustError, match="init_ca"):
        services.issue_certificate(nurse, "PC", facility=clinic, actor=None)


def test_shell_command_issues_for_the_secretariat(world, tmp_path):
    out = io.StringIO()
    target = tmp_path / "jimukyoku.p12"
    call_command("issue_certificate", world["secretariat"].email, device="事務局PC", out=str(target), stdout=out)
    password = re.search(r"パスワード（一度だけ表示）: (\S+)", out.getvalue()).group(1)
    _key, cert, _extra = pkcs12.load_key_and_certificates(target.read_bytes(), password.encode())
    record = DeviceCertificate.objects.get(user=world["secretariat"])
    assert cert.serial_number == int(record.serial_number)
    assert record.downloaded_at is not None and record.bundle is None
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert mail.outbox == []  # the file is handed over in person, no link is mailed
    with pytest.raises(CommandError, match="上書きはしません"):
        call_command("issue_certificate", world["secretariat"].email, device="PC", out=str(target))


def test_secretariat_issues_for_family_members(world):
    from tests.factories import make_family, make_patient

    patient = make_patient("福井 トメ", "ふくい とめ")
    daughter = make_family(patient, relation="長女")
    family_membership = daughter.memberships.get(until__isnull=True)
    client = world["signed_in"](world["secretariat"])
    response = _issue_via_console(client, family_membership, "長女のスマートフォン")
    assert response.status_code == 200 and "端末証明書を発行しました" in response.content.decode()
    assert DeviceCertificate.objects.filter(user=daughter).count() == 1
