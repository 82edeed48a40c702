"""The network's own certificate authority, with ``cryptography``.

* The CA key (ECDSA P-256) is stored as encrypted PKCS#8 PEM; the passphrase comes from
  ``MIMAMORI_CA_KEY_PASSPHRASE`` (``settings.TRUST_CA_KEY_PASSPHRASE``). In DEBUG without
  one, a random passphrase is generated once under ``TRUST_CA_DIR`` (mode 0600).
* A device certificate is valid for one year, for TLS client authentication only. Its
  private key is generated here and leaves only inside a PKCS#12 bundle encrypted with
  AES-256 (PBES2, SHA-256) under a one-time password.
* The CRL (PEM and DER) is rebuilt from the database on every revocation and written to
  ``TRUST_CRL_FILE`` for the TLS proxy. It is valid for ``CRL_VALIDITY``: an expired CRL
  makes the proxy refuse every certificate, so ``manage.py refresh_crl`` runs daily.
"""

import datetime
import hashlib
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .models import CertificateAuthority, DeviceCertificate

CA_VALIDITY = datetime.timedelta(days=3650)
CERT_VALIDITY = datetime.timedelta(days=365)
CRL_VALIDITY = datetime.timedelta(days=7)
CA_COMMON_NAME = "みまもりSNS 端末認証局"
PASSPHRASE_FILE = "ca-passphrase"  # noqa: S105 (a file name)


class CANotInitialised(Exception):
    pass


def passphrase():
    value = settings.TRUST_CA_KEY_PASSPHRASE
    if value:
        return value.encode()
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            "MIMAMORI_CA_KEY_PASSPHRASE must be set: it encrypts the CA's private key."
        )
    directory = Path(settings.TRUST_CA_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / PASSPHRASE_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def get_ca():
    ca = CertificateAuthority.objects.order_by("pk").first()
    if ca is None:
        raise CANotInitialised("manage.py init_ca has not been run")
    return ca


def ca_certificate(ca=None):
    ca = ca or get_ca()
    return x509.load_pem_x509_certificate(ca.certificate_pem.encode())


def _ca_key(ca):
    return serialization.load_pem_private_key(ca.encrypted_key_pem.encode(), password=passphrase())


def init_ca(common_name=CA_COMMON_NAME, now=None):
    """Create the CA (and an empty CRL). Refuses if one exists."""
    if CertificateAuthority.objects.exists():
        raise ValueError("認証局はすでに作成されています。")
    now = now or timezone.now()
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "みまもりSNS"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    with transaction.atomic():
        ca = CertificateAuthority.objects.create(
            certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
            encrypted_key_pem=key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(passphrase()),
            ).decode(),
            created_at=now,
        )
        ca = regenerate_crl(ca=ca, now=now)
    return ca


def _client_name(user, device_name):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "みまもりSNS"),
            x509.NameAttribute(NameOID.COMMON_NAME, user.email[:64]),
            x509.NameAttribute(NameOID.USER_ID, str(user.pk)),
            x509.NameAttribute(NameOID.PSEUDONYM, device_name[:64]),
        ]
    )


def new_bundle_password():
    """A one-time password for a bundle: 4 groups of 5 letters and digits, easy to type."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def issue_client_certificate(user, device_name, *, facility=None, issued_by=None, now=None):
    """Issue a certificate; returns ``(DeviceCertificate, bundle_password, download_token)``.

    The bundle and the token's hash are stored; the password and the token are not.
    """
    ca = get_ca()
    now = now or timezone.now()
    ca_cert = ca_certificate(ca)
    ca_key = _ca_key(ca)
    key = ec.generate_private_key(ec.SECP256R1())
    serial = x509.random_serial_number()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_client_name(user, device_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CERT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    password = new_bundle_password()
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(50000)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    bundle = pkcs12.serialize_key_and_certificates(
        f"みまもりSNS {device_name}".encode(), key, cert, [ca_cert], encryption
    )
    token = secrets.token_urlsafe(32)
    record = DeviceCertificate.objects.create(
        user=user,
        facility=facility,
        device_name=device_name,
        serial_number=str(serial),
        subject=cert.subject.rfc4514_string()[:300],
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        issued_at=now,
        issued_by=issued_by,
        bundle=bundle,
        download_token_hash=token_hash(token),
        download_expires_at=now + DOWNLOAD_VALIDITY,
    )
    return record, password, token


DOWNLOAD_VALIDITY = datetime.timedelta(days=7)


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def regenerate_crl(ca=None, now=None):
    """Rebuild the CRL from every revoked certificate not yet expired; store and publish it."""
    with transaction.atomic():
        ca = CertificateAuthority.objects.select_for_update().get(pk=(ca or get_ca()).pk)
        now = now or timezone.now()
        ca_cert = ca_certificate(ca)
        ca_key = _ca_key(ca)
        ca.crl_number += 1
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now - datetime.timedelta(minutes=5))
            .next_update(now + CRL_VALIDITY)
            .add_extension(x509.CRLNumber(ca.crl_number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
        )
        revoked = (
            DeviceCertificate.objects.filter(revoked_at__isnull=False, not_after__gt=now)
            .order_by("pk")
            .values_list("serial_number", "revoked_at")
        )
        for serial, revoked_at in revoked.iterator(chunk_size=2000):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(int(serial))
                .revocation_date(revoked_at)
                .build()
            )
        crl = builder.sign(ca_key, hashes.SHA256())
        ca.crl_pem = crl.public_bytes(serialization.Encoding.PEM).decode()
        ca.crl_der = crl.public_bytes(serialization.Encoding.DER)
        ca.crl_updated_at = now
        ca.crl_next_update = now + CRL_VALIDITY
        ca.save()
        pem = ca.crl_pem
        transaction.on_commit(lambda: write_crl_file(pem))
    return ca


def write_crl_file(pem):
    """Atomically replace the CRL file the TLS proxy reads (then: ``nginx -s reload``)."""
    target = settings.TRUST_CRL_FILE
    if not target:
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(pem)
    tmp.chmod(0o644)
    os.replace(tmp, path)


def serial_from_header(value):
    """The serial nginx forwards (hex, maybe with a leading zero) as our decimal string."""
    value = (value or "").strip().replace(":", "")
    if not value or len(value) > 64:
        return None
    try:
        return str(int(value, 16))
    except ValueError:
        return None
