"""Print a new VAPID key pair for Web Push, as environment lines."""

import base64

from django.core.management.base import BaseCommand

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key_pair():
    """(public key for browsers, private key for pywebpush), both URL-safe base64."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    secret = private.private_numbers().private_value.to_bytes(32, "big")
    return _b64(public), _b64(secret)


class Command(BaseCommand):
    help = "Print WEBPUSH_VAPID_PUBLIC_KEY and WEBPUSH_VAPID_PRIVATE_KEY for the environment."

    def handle(self, *args, **options):
        public, private = new_key_pair()
        self.stdout.write(f"WEBPUSH_VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"WEBPUSH_VAPID_PRIVATE_KEY={private}")
