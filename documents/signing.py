"""The system's Ed25519 key and the statement it signs for each stored document.

The key comes from ``settings.DOCUMENT_SIGNING_KEY`` (environment variable of the same
name): the base64 of the 32-byte raw private key, or a PEM "PRIVATE KEY". Without it the
key is derived from ``SECRET_KEY`` with HKDF, which suits the embedded default and tests;
production should set its own key (``manage.py verify_documents --show-key`` prints the
public key to keep with the archive). The key id (the first 16 hex digits of the SHA-256
of the raw public key) is stored with every signature, so a signature by another key is
named as such instead of being reported as a forgery.

The signed statement binds the file's digest to the submission and the time:
``mimamori-signed-document/1`` newline ``sha256=<hex>`` newline ``submission=<ref>``
newline ``time=<ISO 8601 UTC>``.
"""

import base64
import functools
import hashlib
from datetime import UTC

from django.conf import settings
from django.utils.encoding import force_bytes

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

STATEMENT_VERSION = "mimamori-signed-document/1"


@functools.cache
def _key_from(configured: str, secret_key: str) -> Ed25519PrivateKey:
    if configured:
        text = configured.strip()
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError("DOCUMENT_SIGNING_KEY is not an Ed25519 key")
            return key
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text))
    seed = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"mimamori", info=b"document signing key"
    ).derive(force_bytes(secret_key))
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key() -> Ed25519PrivateKey:
    return _key_from(getattr(settings, "DOCUMENT_SIGNING_KEY", "") or "", settings.SECRET_KEY)


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_bytes(key: Ed25519PublicKey | None = None) -> bytes:
    key = key or public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey | None = None) -> str:
    return hashlib.sha256(public_bytes(key)).hexdigest()[:16]


def statement(sha256: str, reference: str, signed_at) -> bytes:
    when = signed_at.astimezone(UTC).isoformat()
    return f"{STATEMENT_VERSION}\nsha256={sha256}\nsubmission={reference}\ntime={when}".encode()


def sign(sha256: str, reference: str, signed_at) -> str:
    """Base64 of the Ed25519 signature over the statement."""
    return base64.b64encode(private_key().sign(statement(sha256, reference, signed_at))).decode()


def verify(signature: str, sha256: str, reference: str, signed_at) -> bool:
    try:
        public_key().verify(base64.b64decode(signature), statement(sha256, reference, signed_at))
    except (InvalidSignature, ValueError):
        return False
    return True
