"""Signed scans: the bad-input corpus through the applicant's page, storage, verify_documents."""

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from documents import signing
from documents.models import SignedDocument
from documents.scans import MSG_KIND, MSG_POLYGLOT
from documents.uploads import MSG_EMPTY, MSG_PDF_ACTIVE
from forms.models import Submission, SubmissionStatus
from forms.services import application_token
from tests.factories import FacilityFactory, make_admin, make_secretariat, totp_device
from tests.forms.test_online import FORM_1_DATA

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


def clean_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def active_pdf(action: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    js = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )
    if action == "/OpenAction":
        writer._root_object[NameObject("/OpenAction")] = js
    else:
        names = DictionaryObject({NameObject("/JavaScript"): DictionaryObject()})
        writer._root_object[NameObject("/Names")] = names
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return buf.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 30, 200)).save(out, "JPEG")
    return out.getvalue()


def pixel_flood_png(side=60000) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")


@pytest.fixture
def application(django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/forms/form-1/online/", FORM_1_DATA)
    assert response.status_code == 302
    return client, response["Location"], Submission.objects.get()


def upload(client, url, content, name):
    return client.post(url, {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")})


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


CORPUS = {
    "html renamed .pdf": (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "scan.pdf", MSG_KIND),
    "executable renamed .jpg": (b"MZ\x90\x00\x03" + b"\x00" * 59 + b"PE\x00\x00" + b"\x00" * 400, "scan.jpg", MSG_KIND),
    "pdf/zip polyglot": (clean_pdf() + zip_bytes(), "scan.pdf", MSG_POLYGLOT),
    "pdf with /JavaScript": (active_pdf("/Names"), "scan.pdf", MSG_PDF_ACTIVE),
    "pdf with /OpenAction": (active_pdf("/OpenAction"), "scan.pdf", MSG_PDF_ACTIVE),
    "empty file": (b"", "scan.pdf", MSG_EMPTY),
    "zip renamed .pdf": (zip_bytes(), "scan.pdf", MSG_KIND),
    "png named .pdf": (png_bytes(), "scan.pdf", "拡張子"),
}


@pytest.mark.parametrize("case", list(CORPUS), ids=list(CORPUS))
def test_bad_uploads_are_refused_with_a_message_and_leave_nothing(case, application, settings):
    client, url, submission = application
    content, name, message = CORPUS[case]
    response = upload(client, url, content, name)
    assert response.status_code == 400
    assert str(message) in response.content.decode()
    assert not SignedDocument.objects.exists()
    assert stored_files(settings) == []
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.AWAITING_SIGNED


def test_a_50_mb_file_is_refused(application, settings):
    client, url, _ = application
    response = upload(client, url, b"%PDF-1.7\n" + b"0" * (50 * MB), "scan.pdf")
    assert response.status_code == 400
    assert "ファイルが大きすぎます" in response.content.decode()
    assert "10MB" in response.content.decode()
    assert not SignedDocument.objects.exists()
    assert stored_files(settings) == []


def test_a_pixel_flood_png_is_refused(application, settings):
    client, url, _ = application
    response = upload(client, url, pixel_flood_png(), "scan.png")
    assert response.status_code == 400
    assert "画素数が多すぎます" in response.content.decode()
    assert not SignedDocument.objects.exists()
    assert stored_files(settings) == []


def test_upload_through_a_wrong_link_is_a_404(application, settings):
    client, url, _ = application
    response = upload(client, "/forms/applications/not-a-token/", clean_pdf(), "scan.pdf")
    assert response.status_code == 404
    assert "ファイルは受け付けていません" in response.content.decode()
    assert not SignedDocument.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("maker,name,ctype", [(clean_pdf, "署名済み.pdf", "application/pdf"), (jpeg_bytes, "scan.JPG", "image/jpeg"), (png_bytes, "scan.png", "image/png")])
def test_good_scans_are_stored_with_digest_and_signature(maker, name, ctype, application):
    client, url, submission = application
    response = upload(client, url, maker(), name)
    assert response.status_code == 302
    doc = SignedDocument.objects.get()
    assert doc.submission == submission
    assert doc.content_type == ctype
    assert len(doc.sha256) == 64
    assert signing.verify(doc.signature, doc.sha256, submission.reference, doc.signed_at)
    assert doc.key_id == signing.key_id()
    assert doc.display_name in client.get(url).content.decode()
    from audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="document.store", target_id=str(doc.pk)).exists()
    assert AuditEntry.objects.filter(action="form.submit", target_id=str(submission.pk)).exists()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.RECEIVED
    assert submission.revisions.count() == 2


def test_images_are_re_encoded(application):
    client, url, _ = application
    original = io.BytesIO()
    image = Image.new("RGB", (40, 30), (1, 2, 3))
    image.save(original, "JPEG", comment=b"secret comment")
    upload(client, url, original.getvalue(), "scan.jpg")
    doc = SignedDocument.objects.get()
    assert b"secret comment" not in doc.file.read()


def test_verify_documents_names_a_changed_file(application, capsys):
    client, url, submission = application
    upload(client, url, clean_pdf(), "one.pdf")
    upload(client, url, png_bytes(), "two.png")
    call_command("verify_documents")
    assert "問題のある書類: 0件" in capsys.readouterr().out
    doc = SignedDocument.objects.get(display_name="one.pdf")
    path = doc.file.path
    with open(path, "r+b") as handle:
        handle.seek(10)
        byte = handle.read(1)
        handle.seek(10)
        handle.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(CommandError):
        call_command("verify_documents")
    out = capsys.readouterr().out
    assert f"書類#{doc.pk}" in out and "one.pdf" in out and submission.reference in out
    assert "SHA-256が一致しません" in out
    assert "two.png" not in out.split("件を検証")[0].split("NG")[-1]


def test_verify_documents_names_a_missing_file(application, capsys):
    client, url, submission = application
    upload(client, url, clean_pdf(), "gone.pdf")
    doc = SignedDocument.objects.get()
    doc.file.storage.delete(doc.file.name)
    with pytest.raises(CommandError):
        call_command("verify_documents")
    out = capsys.readouterr().out
    assert "gone.pdf" in out and "ファイルがありません" in out


def test_verify_documents_notices_an_altered_record(application, capsys):
    client, url, submission = application
    upload(client, url, clean_pdf(), "one.pdf")
    doc = SignedDocument.objects.get()
    SignedDocument.objects.filter(pk=doc.pk).update(signed_at=doc.signed_at.replace(year=2020))
    with pytest.raises(CommandError):
        call_command("verify_documents")
    assert "署名が一致しません" in capsys.readouterr().out


def test_documents_are_served_only_to_the_secretariat_and_the_facility_admins(signed_in):
    facility = FacilityFactory(code="1811111111")
    admin = make_admin(facility)
    totp_device(admin)
    secretariat = make_secretariat()
    totp_device(secretariat)
    other_admin = make_admin(FacilityFactory())
    totp_device(other_admin)
    from forms import definitions as d
    from forms.services import create_submission

    submission = create_submission(d.FORM_6, {"facility_code": "1811111111"}, user=admin, facility=facility)
    from documents.store import store_signed_scan

    doc = store_signed_scan(submission, SimpleUploadedFile("s.pdf", clean_pdf()))
    url = f"/forms/documents/{doc.pk}/"
    admin_client = signed_in(admin)
    assert admin_client.get(url).status_code == 200
    assert signed_in(secretariat).get(url).status_code == 200
    assert signed_in(other_admin).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    response = admin_client.get(url)
    from audit.models import AuditEntry

    views = AuditEntry.objects.filter(action="document.view", target_id=str(doc.pk))
    assert views.filter(decision="denied", actor_id=other_admin.pk).count() == 1
    assert views.filter(decision="allowed").count() == 3
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert application_token(submission) not in response.content.decode("latin-1")
