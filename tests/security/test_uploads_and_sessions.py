"""The upload corpus (built by tests/documents) sent through the timeline, and session fixation."""

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

import pytest

from tests.conftest import current_code
from tests.documents.test_uploads import (
    ACTIVE_PDFS,
    jpeg_bytes,
    pdf_bytes,
    pdf_writer,
    png_flood,
    two_colour_image,
)
from tests.factories import (
    PASSWORD,
    FacilityFactory,
    join_team,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)
from tests.security.tally import attempt
from timeline.models import Attachment, Post

pytestmark = pytest.mark.django_db


def _encrypted():
    writer = pdf_writer()
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    return pdf_bytes(writer)


def _corpus():
    jpeg = jpeg_bytes(two_colour_image())
    corpus = {f"pdf-{name}.pdf": build for name, build in ACTIVE_PDFS.items()}
    corpus.update(
        {
            "html-renamed.pdf": lambda: b"<!doctype html><html><script>alert(1)</script></html>",
            "svg-with-script.jpg": lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "windows-exe.png": lambda: b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run in DOS mode",
            "shell-script.pdf": lambda: b"#!/bin/sh\nrm -rf /\n",
            "zip-archive.pdf": lambda: b"PK\x03\x04" + b"\x00" * 100,
            "truncated.jpg": lambda: jpeg[: len(jpeg) // 2],
            "pixel-flood.png": lambda: png_flood(30000, 30000, complete=False),
            "encrypted.pdf": _encrypted,
            "empty.pdf": lambda: b"",
            "oversized.jpg": lambda: jpeg + b"\x00" * (settings.MAX_UPLOAD_BYTES + 1),
        }
    )
    return corpus


CORPUS = _corpus()


@pytest.fixture
def nurse_and_patient():
    clinic = FacilityFactory()
    nurse = make_staff(clinic)
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, clinic, nurse)
    return nurse, patient


@pytest.mark.parametrize("name", CORPUS.keys())
def test_dangerous_upload_is_refused_through_the_timeline(nurse_and_patient, signed_in, name):
    nurse, patient = nurse_and_patient
    data = CORPUS[name]()
    response = signed_in(nurse).post(
        patient.url, {"body": "添付します", "files": [SimpleUploadedFile(name, data, content_type="application/pdf")]}
    )
    media = Path(settings.MEDIA_ROOT)
    stored = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    refused = (
        response.status_code == 400
        and not Post.objects.exists()
        and not Attachment.objects.exists()
        and stored == []
    )
    assert attempt("uploads: dangerous file through the timeline", refused), (name, response.status_code, stored)


def _sign_in(client, user):
    return client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})


def test_session_id_planted_before_sign_in_is_not_kept(nurse_and_patient):
    nurse, patient = nurse_and_patient
    victim = Client()
    victim.get("/accounts/login/")
    victim.session.save()  # a session exists before sign-in (as an attacker would plant it)
    planted = victim.session.session_key
    victim.cookies[settings.SESSION_COOKIE_NAME] = planted
    _sign_in(victim, nurse)
    new_key = victim.cookies[settings.SESSION_COOKIE_NAME].value
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted
    refused = new_key != planted and attacker.get(patient.url).status_code == 302
    assert attempt("session fixation", refused)


def test_session_id_changes_again_after_the_second_factor():
    user = make_secretariat()
    device = totp_device(user)
    client = Client()
    _sign_in(client, user)
    after_password = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/2fa/verify/", {"token": current_code(device)})
    after_factor = client.cookies[settings.SESSION_COOKIE_NAME].value
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = after_password
    refused = after_factor != after_password and attacker.get("/admin/").status_code == 302
    assert attempt("session fixation", refused)


def test_session_of_a_signed_out_browser_cannot_be_replayed(nurse_and_patient, signed_in):
    nurse, patient = nurse_and_patient
    client = signed_in(nurse)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert attempt("session fixation", replay.get(patient.url).status_code == 302)
