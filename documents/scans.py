"""Checks for scans of signed forms (PDF, JPEG, PNG), on top of ``uploads.check_upload``.

``check_upload`` decides the type by content, parses the file, refuses PDFs with active
content and re-encodes images. A signed scan must also

- be one of PDF, JPEG or PNG (no HEIC: scanners and "print to PDF" make these three),
- carry the extension of what it is: a PNG named ``.pdf`` is refused, not silently renamed,
  so that what the applicant sent and what we keep are the same kind of thing;
- for PDFs, be only a PDF: nothing after the last ``%%EOF`` and no ZIP structures outside
  stream data (a PDF/ZIP polyglot opens as a document in one program and as an archive in
  another).

Every refusal is a ``ValidationError`` with a Japanese message and a code.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError

from .uploads import RAW_STREAM_BODY, CheckedUpload, check_upload

ALLOWED = {
    "application/pdf": {".pdf"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/png": {".png"},
}
MSG_KIND = "署名済み書類は、PDF・JPEG・PNGのいずれかで提出してください。"
MSG_EXTENSION = (
    "ファイルの中身（{kind}）と拡張子（{ext}）が一致しません。"
    "正しい種類のファイルか確認して、もう一度選んでください。"
)
MSG_POLYGLOT = (
    "このPDFには別の種類のデータが付け加えられているため、受け付けられません。"
    "スキャナーや「PDFとして印刷」で作り直してから提出してください。"
)
KIND_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG画像", "image/png": "PNG画像"}
_EXT = re.compile(r"(\.[A-Za-z0-9]{1,8})$")
_ZIP_MARKERS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x01\x02")


def _extension(name) -> str:
    match = _EXT.search(str(name or "").strip())
    return match.group(1).lower() if match else ""


def check_signed_scan(uploaded, *, max_bytes=None) -> CheckedUpload:
    """Check one uploaded scan; return what may be stored or raise ``ValidationError``."""
    if max_bytes is None:
        max_bytes = settings.SIGNED_SCAN_MAX_BYTES
    try:
        checked = check_upload(uploaded, max_bytes=max_bytes)
    except ValidationError as exc:
        if exc.code == "unsupported_type":
            raise ValidationError(MSG_KIND, code="unsupported_type") from None
        raise
    if checked.content_type not in ALLOWED:
        raise ValidationError(MSG_KIND, code="unsupported_type")
    ext = _extension(getattr(uploaded, "name", ""))
    if ext not in ALLOWED[checked.content_type]:
        raise ValidationError(
            MSG_EXTENSION.format(kind=KIND_NAMES[checked.content_type], ext=ext or "なし"),
            code="extension_mismatch",
        )
    if checked.kind == "pdf" and _pdf_carries_more(checked.content):
        raise ValidationError(MSG_POLYGLOT, code="pdf_polyglot")
    return checked


def _pdf_carries_more(data: bytes) -> bool:
    if not data.startswith(b"%PDF-"):
        return True
    end = data.rfind(b"%%EOF")
    if end < 0 or data[end + 5 :].strip(b"\r\n\t\x0c \x00"):
        return True
    outside_streams = RAW_STREAM_BODY.sub(b"stream endstream", data)
    return any(marker in outside_streams for marker in _ZIP_MARKERS)
