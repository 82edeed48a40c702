"""XSS payloads rendered through every surface that shows user-supplied text: the timeline
(posts, author names, facility names, file names, requests), the patient list, the
notifications page, the facility console, the audit list, the secretariat's admin, the
e-mails and the PDF export. Refused = the payload shows as text and creates no markup."""

import io

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

import pytest
from pypdf import PdfReader

from network.models import Facility
from tests.factories import (
    FacilityFactory,
    join_team,
    make_admin,
    make_family,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)
from tests.security.html_check import injected_markup
from tests.security.tally import attempt
from timeline.models import Attachment, ChangeRequest, Post

pytestmark = pytest.mark.django_db

PAYLOADS = [
    '<script>alert("m00")</script>',
    '"><img src=x onerror=alert("m01")>',
    "'><svg onload=alert('m02')>",
    '<a href="javascript:alert(\'m03\')">m03</a>',
    'javascript:alert("m04")',
    '<iframe src="javascript:alert(\'m05\')"></iframe>',
    '</textarea><script>alert("m06")</script>',
    '<details open ontoggle=alert("m07")>m07',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert("m08")>',
    '&lt;script&gt;alert("m09")&lt;/script&gt;',
    '<body onload=alert("m10")>',
    '<input autofocus onfocus=alert("m11")>',
    "{{ request.user.password }}{% debug %}m12",
    '<style>*{background:url("javascript:alert(m13)")}</style>',
    '<form action="https://evil.example/m14"><button>m14</button></form>',
    'https://example.jp/"onmouseover="alert(\'m15\')"',
    '@<img src=x onerror=alert("m16")>',
    "<scr<script>ipt>alert('m17')</scr</script>ipt>",
    '<a href="&#106;avascript:alert(\'m18\')">m18</a>',
    '<base href="https://evil.example/m19">',
]


def _marker(payload):
    return next(f"m{n:02d}" for n in range(100) if f"m{n:02d}" in payload)


def _pdf(name):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def _check(category, html, payload):
    marker = _marker(payload)
    shown = marker in html
    findings = injected_markup(html, marker)
    assert attempt(f"xss: {category}", shown and not findings), (category, payload, findings, shown)


@pytest.fixture
def world(signed_in, django_capture_on_commit_callbacks, request):
    payload = request.param
    clinic = FacilityFactory(name=payload[:100])
    nurse = make_staff(clinic, job_title="看護師", last_name=payload[:100])
    doctor = make_staff(clinic, job_title="医師")
    patient = make_patient(payload[:200], "ふくい とめ")
    join_team(patient, clinic, nurse, doctor)
    family = make_family(patient, relation="長女")
    admin = make_admin(clinic)
    totp_device(admin)
    nurse_client = signed_in(nurse)
    with django_capture_on_commit_callbacks(execute=True):
        response = nurse_client.post(
            patient.url,
            {"body": payload, "care_cautions": payload, "files": [_pdf(payload[:100] + ".pdf")]},
        )
    assert response.status_code == 302, response.content.decode()[:500]
    post = Post.objects.get()
    family_client = signed_in(family)
    family_client.post(f"/timeline/posts/{post.pk}/request/", {"kind": "edit", "reason": payload})
    return {
        "payload": payload, "clinic": clinic, "nurse": nurse, "doctor": doctor, "patient": patient,
        "family": family, "admin": admin, "post": post, "nurse_client": nurse_client,
        "doctor_client": signed_in(doctor), "signed_in": signed_in,
    }


@pytest.mark.parametrize("world", PAYLOADS, indirect=True, ids=[_marker(p) for p in PAYLOADS])
def test_payload_is_inert_on_every_html_surface(world):
    payload, doctor = world["payload"], world["doctor_client"]
    _check("timeline (post, author, facility, file name)", doctor.get(world["patient"].url).content.decode(), payload)
    _check("patient list", doctor.get("/home/").content.decode(), payload)
    _check("notifications", doctor.get("/timeline/notifications/").content.decode(), payload)
    post = world["post"]
    _check("edit history", world["nurse_client"].get(f"/timeline/posts/{post.pk}/history/").content.decode(), payload)
    _check("edit form", world["nurse_client"].get(f"/timeline/posts/{post.pk}/edit/").content.decode(), payload)
    _check("readers", world["nurse_client"].get(f"/timeline/posts/{post.pk}/readers/").content.decode(), payload)
    change = ChangeRequest.objects.get()
    _check("change request", world["nurse_client"].get(f"/timeline/requests/{change.pk}/answer/").content.decode(), payload)
    admin_client = world["signed_in"](world["admin"])
    _check("facility console", admin_client.get(f"/console/{world['clinic'].pk}/").content.decode(), payload)
    _check("audit list (facility)", admin_client.get("/audit/").content.decode(), payload)
    family_client = world["signed_in"](world["family"])
    _check("who read my record", family_client.get(f"/audit/patients/{world['patient'].patient_id}/").content.decode(), payload)


@pytest.mark.parametrize("world", PAYLOADS, indirect=True, ids=[_marker(p) for p in PAYLOADS])
def test_payload_is_text_in_the_secretariat_admin(world):
    secretariat = make_secretariat()
    totp_device(secretariat)
    client = world["signed_in"](secretariat)
    payload = world["payload"]
    special = any(ch in payload for ch in "<>\"'&")
    for category, path in (
        ("admin: patients", "/admin/patients/"),
        ("admin: facilities", "/admin/snippets/network/facility/"),
        ("admin: memberships", "/admin/snippets/network/facilitymembership/"),
    ):
        html = client.get(path).content.decode()
        shown = _marker(payload) in html
        assert attempt(f"xss: {category}", shown and (not special or payload[:100] not in html)), (path, payload)


@pytest.mark.parametrize("world", PAYLOADS, indirect=True, ids=[_marker(p) for p in PAYLOADS])
def test_payload_is_plain_text_in_the_pdf_export(world):
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    response = world["doctor_client"].get(
        f"/timeline/patients/{world['patient'].patient_id}/export/", {"start": today, "end": today}
    )
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    compact = "".join(text.split())
    active = [name for name in (b"/JavaScript", b"/JS", b"/OpenAction", b"/Launch", b"/URI") if name in data]
    visible = "".join(_marker(world["payload"]).split()) in compact
    assert attempt("xss: pdf export", visible and not active), (world["payload"], active, text[:300])


@pytest.mark.parametrize("world", PAYLOADS, indirect=True, ids=[_marker(p) for p in PAYLOADS])
def test_payload_stays_out_of_mail_headers_and_html(world, django_capture_on_commit_callbacks):
    facility = Facility.objects.get(pk=world["clinic"].pk)
    admin_client = world["signed_in"](world["admin"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/console/{facility.pk}/staff/add/",
            {"last_name": world["payload"][:100], "first_name": "太郎", "last_name_kana": "てすと",
             "first_name_kana": "たろう", "email": "invitee@example.jp", "job_title": "看護師"},
        )
    sent = list(mail.outbox)
    for message in sent:
        plain = message.content_subtype == "plain" and not getattr(message, "alternatives", None)
        headers_clean = all("\n" not in str(v) and "m" + _marker(world["payload"])[1:] not in str(v)
                            for v in (message.subject, message.from_email, *message.to))
        assert attempt("xss: e-mail", plain and headers_clean), message.subject
    assert sent or Attachment.objects.exists()
