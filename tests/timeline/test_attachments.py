"""Photos and PDFs on posts: checked by content, served only to the team."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest
from PIL import Image

from tests.factories import FacilityFactory, join_team, make_patient, make_staff
from timeline.models import Attachment, Post

pytestmark = pytest.mark.django_db


def _jpeg(name="photo.jpg", size=(640, 480)):
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 80, 80))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    image.save(buffer, "JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _pdf(name="紹介状.pdf"):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


@pytest.fixture
def team():
    station = FacilityFactory(name="ひまわり訪問看護", kind="visiting_nurse")
    nurse, doctor = make_staff(station), make_staff(station, job_title="医師")
    outsider = make_staff(FacilityFactory())
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, station, nurse, doctor)
    return {"patient": patient, "nurse": nurse, "doctor": doctor, "outsider": outsider}


def test_photo_and_pdf_are_stored_and_served_to_the_team(team, signed_in):
    client = signed_in(team["nurse"])
    response = client.post(
        team["patient"].url, {"body": "仙骨部の褥瘡", "files": [_jpeg(), _pdf()]}
    )
    assert response.status_code == 302
    photo = Attachment.objects.get(kind="image")
    document = Attachment.objects.get(kind="pdf")
    assert photo.thumbnail and document.display_name == "紹介状.pdf"
    doctor = signed_in(team["doctor"])
    timeline = doctor.get(team["patient"].url).content.decode()
    assert f"/timeline/files/{photo.pk}/thumbnail/" in timeline and "紹介状.pdf" in timeline
    served = doctor.get(f"/timeline/files/{photo.pk}/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"] == f'inline; filename="mimamori-{photo.pk}.jpg"'
    content = b"".join(served.streaming_content)
    assert b"PhoneMaker" not in content and Image.open(io.BytesIO(content)).getexif() == {}
    pdf = doctor.get(f"/timeline/files/{document.pk}/")
    assert pdf["Content-Disposition"] == f'attachment; filename="mimamori-{document.pk}.pdf"'
    assert "sandbox" in pdf["Content-Security-Policy"]


def test_outsider_gets_404_for_files_and_thumbnails(team, signed_in):
    signed_in(team["nurse"]).post(team["patient"].url, {"body": "写真", "files": [_jpeg()]})
    photo = Attachment.objects.get()
    outsider = signed_in(team["outsider"])
    for path in (f"/timeline/files/{photo.pk}/", f"/timeline/files/{photo.pk}/thumbnail/"):
        response = outsider.get(path)
        assert response.status_code == 404
        assert b"\xff\xd8" not in response.content


def test_anonymous_cannot_fetch_a_file(team, signed_in, client):
    signed_in(team["nurse"]).post(team["patient"].url, {"body": "写真", "files": [_jpeg()]})
    photo = Attachment.objects.get()
    response = client.get(f"/timeline/files/{photo.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_six_files_are_refused_and_nothing_is_stored(team, signed_in, settings):
    response = signed_in(team["nurse"]).post(
        team["patient"].url, {"body": "たくさん", "files": [_jpeg(f"p{i}.jpg") for i in range(6)]}
    )
    assert response.status_code == 400
    assert "5個まで" in response.content.decode()
    assert not Post.objects.exists() and not Attachment.objects.exists()
    assert not (settings.MEDIA_ROOT / "attachments").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"<html><script>alert(1)</script></html>"),
        ("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),
    ],
)
def test_renamed_html_or_executable_is_refused(team, signed_in, name, content):
    response = signed_in(team["nurse"]).post(
        team["patient"].url, {"body": "添付", "files": [SimpleUploadedFile(name, content)]}
    )
    assert response.status_code == 400
    assert "この種類のファイルは添付できません" in response.content.decode()
    assert not Post.objects.exists()


def test_oversize_file_is_refused(team, signed_in, settings):
    settings.MAX_UPLOAD_BYTES = 10_000
    response = signed_in(team["nurse"]).post(
        team["patient"].url, {"body": "大きい", "files": [_jpeg(size=(1600, 1200))]}
    )
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_deleting_a_post_removes_its_files(team, signed_in, settings, django_capture_on_commit_callbacks):
    client = signed_in(team["nurse"])
    client.post(team["patient"].url, {"body": "写真", "files": [_jpeg()]})
    photo = Attachment.objects.get()
    paths = [settings.MEDIA_ROOT / photo.file.name, settings.MEDIA_ROOT / photo.thumbnail.name]
    assert all(p.exists() for p in paths)
    post = Post.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/timeline/posts/{post.pk}/delete/")
    assert not Attachment.objects.exists()
    assert not any(p.exists() for p in paths)
    assert client.get(f"/timeline/files/{photo.pk}/").status_code == 404
