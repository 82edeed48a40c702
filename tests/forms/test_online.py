"""Online forms: validation, submissions in 受付, the applicant's link, mails."""

import io

from django.core import mail
from django.test import Client

import pytest
from pypdf import PdfReader

from forms import definitions as d
from forms.models import Submission, SubmissionsIndexPage, SubmissionStatus
from forms.services import application_token
from tests.factories import FacilityFactory, make_admin, make_secretariat, make_staff, totp_device

pytestmark = pytest.mark.django_db

FORM_1_DATA = {
    "facility_kind": "visiting_nurse",
    "facility_code": "１８１２３４５６７８",  # full-width digits are accepted
    "facility_name": "みまもり訪問看護ステーション",
    "facility_name_kana": "みまもりほうもんかんご",
    "postal_code": "910-0001",
    "address": "福井市大願寺3-4-10",
    "phone": "0776-24-0387",
    "representative": "福井 花子",
    "medical_net": "no",
    "admin_name": "福井 太郎",
    "admin_name_kana": "フクイ タロウ",
    "admin_email": "admin@station.example.jp",
    "admin_email_confirm": "ADMIN@station.example.jp",
    "vpn_count": "2",
    "contact_name": "越前 次郎",
    "contact_email": "contact@station.example.jp",
    "contact_email_confirm": "contact@station.example.jp",
}


def post_form_1(client, **changes):
    return client.post("/forms/form-1/online/", {**FORM_1_DATA, **changes})


def pdf_text(data):
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\n", "")


def test_every_online_form_renders_with_its_labels():
    client = Client()
    for definition in d.FORMS:
        response = client.get(f"/forms/{definition.slug}/online/")
        assert response.status_code == 200
        html = response.content.decode()
        assert definition.title in html
        for f in definition.fields:
            assert f.label in html


def test_form_1_submission_gets_a_reference_and_a_page_in_the_private_inbox(
    django_capture_on_commit_callbacks,
):
    secretariat = make_secretariat()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_form_1(client)
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.reference.startswith("MM-")
    assert len(submission.reference) == len("MM-2026-000001")
    assert submission.status == SubmissionStatus.AWAITING_SIGNED
    assert submission.get_parent().specific_class is SubmissionsIndexPage
    assert submission.data["facility_code"] == "1812345678"
    assert submission.data["facility_name_kana"] == "ミマモリホウモンカンゴ"
    assert submission.data["admin_email"] == "admin@station.example.jp"
    assert submission.revisions.count() == 1
    assert "みまもり" not in submission.title  # the title names only form and reference
    # mails: a receipt to the applicant with the reference and the secret link, a notice to the secretariat
    receipt, notice = mail.outbox
    assert receipt.to == ["contact@station.example.jp"]
    assert submission.reference in receipt.subject
    # the mailed secret link opens the applicant's page
    import re

    link = re.search(r"http://[^/\s]+(/forms/applications/[^\s]+/)", receipt.body).group(1)
    assert submission.reference in Client().get(link).content.decode()
    assert notice.to == [secretariat.email]
    assert submission.reference in notice.subject
    assert "みまもり訪問看護" not in notice.body
    # the applicant's page and the filled PDF
    page = client.get(response["Location"])
    assert submission.reference in page.content.decode()
    filled = client.get(response["Location"] + "pdf/")
    assert filled["Content-Type"] == "application/pdf"
    text = pdf_text(filled.content)
    assert "1812345678" in text
    assert "みまもり訪問看護ステーション" in text
    assert "admin@station.example.jp" in text
    assert submission.reference in text


def test_submission_pages_are_never_served():
    post_form_1(Client())
    submission = Submission.objects.get()
    for client in (Client(), Client()):
        assert client.get(submission.url or "/network/submissions/").status_code in (302, 404)
    secretariat_client = Client()
    secretariat_client.force_login(make_secretariat())
    response = secretariat_client.get(submission.get_url())
    assert response.status_code in (302, 404)


@pytest.mark.parametrize("code", ["123456789", "12345678901", "12345-6789", "abcdefghij"])
def test_facility_code_must_have_ten_digits(code):
    response = post_form_1(Client(), facility_code=code)
    assert response.status_code == 200
    assert "事業所番号は10桁の数字で入力してください" in response.content.decode()
    assert not Submission.objects.exists()
    assert not mail.outbox


def test_mismatched_emails_are_refused():
    response = post_form_1(Client(), admin_email_confirm="other@station.example.jp")
    assert response.status_code == 200
    assert "メールアドレスが一致しません" in response.content.decode()
    assert not Submission.objects.exists()


def test_vpn_count_above_two_is_refused_and_blank_is_fine():
    response = post_form_1(Client(), vpn_count="3")
    assert "VPN申請数は原則1施設2個まで" in response.content.decode()
    assert not Submission.objects.exists()
    assert post_form_1(Client(), vpn_count="").status_code == 302


def test_kana_must_be_kana():
    response = post_form_1(Client(), facility_name_kana="Mimamori")
    assert "カタカナ" in response.content.decode()
    assert not Submission.objects.exists()


def test_admin_email_of_an_existing_user_is_refused():
    facility = FacilityFactory()
    staff = make_staff(facility)
    response = post_form_1(Client(), admin_email=staff.email, admin_email_confirm=staff.email)
    assert "利用者として登録されています" in response.content.decode()
    assert not Submission.objects.exists()


def test_dates_accept_the_japanese_era():
    data = {
        "facility_code": "1812345678",
        "facility_name": "みまもり薬局",
        "representative": "代表 者",
        "end_date": "令和9年3月31日",
        "agree": "on",
        "contact_name": "担当",
        "contact_email": "a@example.jp",
        "contact_email_confirm": "a@example.jp",
    }
    assert Client().post("/forms/form-6/online/", data).status_code == 302
    assert Submission.objects.get().data["end_date"] == "2027-03-31"


def test_print_only_form_returns_the_filled_pdf_without_a_submission():
    data = {"facility_name": "みまもり薬局", "staff_name": "若狭 三郎", "staff_name_kana": "ワカサ サブロウ", "job_title": "薬剤師"}
    response = Client().post("/forms/form-4/online/", data)
    assert response["Content-Type"] == "application/pdf"
    assert "若狭 三郎" in pdf_text(response.content)
    assert not Submission.objects.exists()


def test_ledger_rows_are_printed():
    data = {"facility_code": "1812345678", "facility_name": "みまもり薬局", "admin_name": "管理 者",
            "r1_name": "若狭 三郎", "r1_email": "wakasa@example.jp", "r1_start": "2026-04-01"}
    response = Client().post("/forms/ledger/online/", data)
    text = pdf_text(response.content)
    assert "若狭 三郎" in text and "wakasa@example.jp" in text and "令和8年4月1日" in text


def test_blank_pdf_download():
    response = Client().get("/forms/form-5/blank.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert d.FORM_5.heading in pdf_text(response.content)
    assert Client().get("/forms/form-9/blank.pdf").status_code == 404


@pytest.mark.parametrize(
    "token", ["nonsense", "bm9uc2Vuc2U:1abc:def", "x" * 80]
)
def test_wrong_reference_link_is_a_404(token):
    post_form_1(Client())
    response = Client().get(f"/forms/applications/{token}/")
    assert response.status_code == 404
    assert "このリンクは正しくないか、有効期限（90日）が切れています" in response.content.decode()
    assert Client().get(f"/forms/applications/{token}/pdf/").status_code == 404


def test_an_expired_link_is_a_404():
    import time
    from unittest import mock

    from django.core import signing

    post_form_1(Client())
    submission = Submission.objects.get()
    # the same token as mailed, but made 91 days ago (links last 90 days)
    with mock.patch("time.time", return_value=time.time() - 91 * 86400):
        token = signing.dumps(submission.access_key.hex, salt="forms.application-link", compress=False)
    assert Client().get(f"/forms/applications/{token}/").status_code == 404
    fresh = application_token(submission)
    assert Client().get(f"/forms/applications/{fresh}/").status_code == 200


def test_an_altered_link_is_a_404():
    post_form_1(Client())
    token = application_token(Submission.objects.get())
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert Client().get(f"/forms/applications/{altered}/").status_code == 404


# --- facility console ----------------------------------------------------------------------


def console_client(signed_in):
    facility = FacilityFactory(code="1811111111", name="みまもり在宅クリニック", representative="院長 一郎")
    admin = make_admin(facility)
    totp_device(admin)
    return facility, admin, signed_in(admin)


def test_facility_admin_submits_form_3_from_the_console(signed_in, django_capture_on_commit_callbacks):
    facility, admin, client = console_client(signed_in)
    page = client.get(f"/console/{facility.pk}/forms/form-3/")
    assert page.status_code == 200
    assert "1811111111" in page.content.decode()  # prefilled from the facility
    data = {
        "facility_code": "1811111111",
        "facility_name": "みまもり在宅クリニック",
        "representative": "院長 一郎",
        "change_items": "代表者",
        "before": "院長 一郎",
        "after": "院長 二郎",
        "change_date": "2026-12-01",
        "contact_name": "管理 者",
        "contact_email": admin.email,
        "contact_email_confirm": admin.email,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/console/{facility.pk}/forms/form-3/", data)
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.facility == facility
    assert submission.submitted_by == admin
    assert f"/console/{facility.pk}/applications/{submission.reference}/" in mail.outbox[0].body
    listing = client.get(f"/console/{facility.pk}/forms/")
    assert submission.reference in listing.content.decode()
    filled = client.get(f"/console/{facility.pk}/applications/{submission.reference}/pdf/")
    assert "院長 二郎" in pdf_text(filled.content)


def test_console_forms_refuse_another_facilitys_code(signed_in):
    facility, admin, client = console_client(signed_in)
    data = {"facility_code": "1899999999", "facility_name": "x", "representative": "y",
            "end_date": "2027-03-31", "agree": "on", "contact_name": "z",
            "contact_email": admin.email, "contact_email_confirm": admin.email}
    response = client.post(f"/console/{facility.pk}/forms/form-6/", data)
    assert "この施設の事業所番号と一致しません" in response.content.decode()
    assert not Submission.objects.exists()


def test_console_forms_are_only_for_the_facilitys_admins(signed_in):
    facility, admin, _ = console_client(signed_in)
    other = FacilityFactory()
    other_admin = make_admin(other)
    totp_device(other_admin)
    other_admin_client = signed_in(other_admin)
    staff_client = signed_in(make_staff(facility))
    for client in (other_admin_client, staff_client):
        assert client.get(f"/console/{facility.pk}/forms/").status_code == 404
        assert client.get(f"/console/{facility.pk}/forms/form-3/").status_code == 404
    assert Client().get(f"/console/{facility.pk}/forms/").status_code == 302


def test_console_offers_only_forms_3_5_6_7_8(signed_in):
    facility, admin, client = console_client(signed_in)
    assert client.get(f"/console/{facility.pk}/forms/form-1/").status_code == 404
    html = client.get(f"/console/{facility.pk}/forms/").content.decode()
    for number in ("3", "5", "6", "7", "8"):
        assert f"様式{number}" in html


def test_console_submission_of_another_facility_is_a_404(signed_in):
    facility, admin, client = console_client(signed_in)
    post_form_1(Client())
    submission = Submission.objects.get()
    assert client.get(f"/console/{facility.pk}/applications/{submission.reference}/").status_code == 404


def test_console_form_7_takes_the_patient_from_the_team(signed_in, django_capture_on_commit_callbacks):
    import datetime

    from tests.factories import join_team, make_patient

    facility, admin, client = console_client(signed_in)
    patient = make_patient(name="福井 トメ", kana="ふくい とめ", birth_date=datetime.date(1938, 2, 3))
    join_team(patient, facility)
    outsider = make_patient(name="他 患者", kana="ほか かんじゃ")
    data = {
        "withdrawal_date": "2026-12-01",
        "requester": "self",
        "facility_code": "1811111111",
        "facility_name": "みまもり在宅クリニック",
        "doctor_name": "主治 医",
        "contact_name": "管理 者",
        "contact_email": admin.email,
        "contact_email_confirm": admin.email,
    }
    refused = client.post(f"/console/{facility.pk}/forms/form-7/", {**data, "patient": outsider.pk})
    assert "この患者は選べません" in refused.content.decode()
    assert not Submission.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/console/{facility.pk}/forms/form-7/", {**data, "patient": patient.pk})
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.patient_id == patient.pk
    assert submission.data["patient_name"] == "福井 トメ"
    assert submission.data["patient_name_kana"] == "フクイ トメ"
    assert submission.data["patient_birth_date"] == "1938-02-03"
    # mails are content-minimal: no patient name anywhere
    assert mail.outbox
    for message in mail.outbox:
        assert "福井 トメ" not in message.subject + message.body
    filled = client.get(f"/console/{facility.pk}/applications/{submission.reference}/pdf/")
    assert "昭和13年2月3日" in pdf_text(filled.content)


def test_signed_copy_notifies_the_secretariat(django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.documents.test_signed import clean_pdf

    secretariat = make_secretariat()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        url = post_form_1(client)["Location"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"file": SimpleUploadedFile("signed.pdf", clean_pdf())})
    (notice,) = mail.outbox
    assert notice.to == [secretariat.email]
    assert "署名済み書類の提出" in notice.subject
    assert Submission.objects.get().reference in notice.subject


def test_secretariat_sees_submissions_in_the_admin(signed_in):
    post_form_1(Client())
    submission = Submission.objects.get()
    user = make_secretariat()
    totp_device(user)
    client = signed_in(user)
    assert client.get(f"/admin/pages/{submission.get_parent().pk}/").status_code == 200
    edit = client.get(f"/admin/pages/{submission.pk}/edit/")
    assert edit.status_code == 200
    assert submission.reference in edit.content.decode()


def test_anonymous_submissions_are_rate_limited_per_address(settings, client):
    from audit.models import AuditEntry

    rule = next(r for r in settings.RATE_LIMITS if r["name"] == "public_forms")
    settings.RATE_LIMITS = [{**rule, "rate": "2/h"}]
    codes = [
        client.post("/forms/form-1/online/", {}, REMOTE_ADDR="203.0.113.9").status_code for _ in range(3)
    ]
    assert codes[:2] == [200, 200] and codes[2] == 429
    assert client.post("/forms/form-1/online/", {}, REMOTE_ADDR="203.0.113.10").status_code == 200
    assert AuditEntry.objects.filter(action="ratelimit", address="203.0.113.9").exists()
