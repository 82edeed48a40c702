"""Store a checked scan for a submission: file, digest and signature, all or nothing."""

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from . import signing
from .models import SignedDocument
from .scans import check_signed_scan


def store_signed_scan(submission, uploaded, *, user=None) -> SignedDocument:
    """Check ``uploaded`` and keep it for ``submission``; raise ``ValidationError`` if refused.

    The file is written inside the transaction and removed again if the row cannot be
    saved, so a refusal or a failure leaves neither a file nor a half-record.
    """
    checked = check_signed_scan(uploaded)
    signed_at = timezone.now().replace(microsecond=0)
    document = SignedDocument(
        submission=submission,
        display_name=checked.display_name,
        content_type=checked.content_type,
        extension=checked.extension,
        size=len(checked.content),
        sha256=checked.sha256,
        signature=signing.sign(checked.sha256, submission.reference, signed_at),
        key_id=signing.key_id(),
        signed_at=signed_at,
        uploaded_by=user if user is not None and user.is_authenticated else None,
    )
    saved_name = None
    try:
        with transaction.atomic():
            document.file.save("scan", ContentFile(checked.content), save=False)
            saved_name = document.file.name
            document.save()
    except BaseException:
        if saved_name:
            document.file.storage.delete(saved_name)
        raise
    return document


def verify(document: SignedDocument) -> list[str]:
    """Problems with one stored document (empty when it is intact)."""
    import hashlib

    problems = []
    storage = document.file.storage
    name = document.file.name
    if not name or not storage.exists(name):
        return ["ファイルがありません"]
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    if digest.hexdigest() != document.sha256:
        problems.append("内容が変更されています（SHA-256が一致しません）")
    if document.key_id != signing.key_id():
        problems.append(f"別の署名鍵（{document.key_id}）で署名されています")
    elif not signing.verify(
        document.signature, document.sha256, document.submission.reference, document.signed_at
    ):
        problems.append("署名が一致しません（記録が変更されています）")
    return problems
