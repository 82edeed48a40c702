"""The secretariat's review inbox: filters, assignment, comments, correction, rejection, history."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

import pytest

from audit.models import AuditEntry
from forms.models import ReviewComment, Submission, SubmissionStatus
from tests.factories import FacilityFactory, make_admin, make_secretariat, make_staff, totp_device
from tests.flows.conftest import PREFIX, make_clerk, messages_of, sent, submit
from tests.flows.test_flows import form_1

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(signed_in):
    return make_clerk(signed_in)


def test_the_inbox_lists_submissions_by_status_with_filters(clerk):
    clinic = FacilityFactory(name="絞り込み医院")
    first = submit("1", form_1())
    second = submit("3", {"facility_code": clinic.code, "change_items": "名称"}, facility=clinic)
    Submission.objects.filter(pk=first.pk).update(submitted_at=timezone.now() - timedelta(days=10))
    page = clerk.client.get("/admin/review/")
    assert page.status_code == 200
    html = page.content.decode()
    assert first.reference in html and second.reference in html
    assert "受付済み：2" in html
    by_form = clerk.client.get("/admin/review/", {"form_number": "3"}).content.decode()
    assert second.reference in by_form and first.reference not in by_form
    by_facility = clerk.client.get("/admin/review/", {"facility": clinic.pk}).content.decode()
    assert second.reference in by_facility and first.reference not in by_facility
    recent = (timezone.localdate() - timedelta(days=2)).isoformat()
    by_date = clerk.client.get("/admin/review/", {"date_from": recent}).content.decode()
    assert second.reference in by_date and first.reference not in by_date
    by_status = clerk.client.get("/admin/review/", {"status": "rejected"}).content.decode()
    assert first.reference not in by_status and "該当する申請はありません" in by_status


def test_only_the_secretariat_reaches_the_review_screens(signed_in):
    clinic = FacilityFactory()
    admin = make_admin(clinic)
    totp_device(admin)
    submission = submit("1", form_1())
    for user in (admin, make_staff(clinic)):
        client = signed_in(user)
        for url in ("/admin/review/", f"/admin/review/{submission.pk}/", f"/admin/review/{submission.pk}/accept/"):
            assert client.get(url).status_code in (302, 403, 404)
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.RECEIVED


def test_assigning_a_clerk_and_commenting_are_recorded(clerk, django_capture_on_commit_callbacks):
    colleague = make_secretariat(email="tanto@med.example.jp", last_name="担当", first_name="一郎")
    submission = submit("1", form_1())
    revisions = submission.revisions.count()
    clerk.act(submission, django_capture_on_commit_callbacks, action="assign", clerk=colleague.pk)
    clerk.act(submission, django_capture_on_commit_callbacks, action="comment", text="印影を確認済み")
    fresh = Submission.objects.get(pk=submission.pk)
    assert fresh.assigned_to == colleague
    assert fresh.revisions.count() == revisions + 1
    texts = list(fresh.review_comments.values_list("text", flat=True))
    assert "担当者を 担当 一郎 に設定" in texts and "印影を確認済み" in texts
    page = clerk.client.get(f"/admin/review/{submission.pk}/").content.decode()
    assert "印影を確認済み" in page and "担当 一郎" in page
    assert AuditEntry.objects.filter(action="submission.assign", target_id=str(submission.pk)).exists()


def test_requesting_a_correction_mails_the_submitter_in_japanese(clerk, django_capture_on_commit_callbacks):
    submission = submit("1", form_1())
    start = len(mail.outbox)
    response = clerk.act(submission, django_capture_on_commit_callbacks, action="correction", text="代表者の署名が抜けています。")
    assert "修正を依頼し、提出者にメールを送りました。" in messages_of(response)
    fresh = Submission.objects.get(pk=submission.pk)
    assert fresh.status == SubmissionStatus.NEEDS_CORRECTION
    assert sent(start) == [("contact@applicant.example.jp", PREFIX + f"受付番号 {submission.reference}：提出書類の修正のお願い")]
    assert "代表者の署名が抜けています。" in mail.outbox[-1].body
    assert fresh.review_comments.filter(kind=ReviewComment.Kind.CORRECTION).exists()
    entry = AuditEntry.objects.filter(action="submission.status", target_id=str(submission.pk)).latest("id")
    assert entry.detail["status"] == "needs_correction" and entry.detail["previous"] == "received"


def test_a_correction_request_needs_a_message(clerk, django_capture_on_commit_callbacks):
    submission = submit("1", form_1())
    response = clerk.act(submission, django_capture_on_commit_callbacks, action="correction", text="  ")
    assert "修正してほしい点を入力してください。" in messages_of(response)
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.RECEIVED


def test_rejecting_mails_the_reason_and_is_final(clerk, django_capture_on_commit_callbacks):
    submission = submit("1", form_1())
    start = len(mail.outbox)
    clerk.act(submission, django_capture_on_commit_callbacks, action="reject", text="対象地域外の施設です。")
    fresh = Submission.objects.get(pk=submission.pk)
    assert fresh.status == SubmissionStatus.REJECTED
    assert sent(start) == [("contact@applicant.example.jp", PREFIX + f"受付番号 {submission.reference}：申請を受理できませんでした")]
    response = clerk.act(fresh, django_capture_on_commit_callbacks, action="move", to="under_review")
    assert "「不受理」から「審査中」には変更できません。" in messages_of(response)
    plan_page = clerk.client.get(f"/admin/review/{submission.pk}/accept/").content.decode()
    assert "受理して反映する" not in plan_page
    response = clerk.accept(fresh, django_capture_on_commit_callbacks)
    assert any("受理できません" in m for m in messages_of(response))


def test_a_move_made_by_another_clerk_meanwhile_is_reported(clerk, django_capture_on_commit_callbacks):
    submission = submit("1", form_1())
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.UNDER_REVIEW)
    response = clerk.act(submission, django_capture_on_commit_callbacks, action="move", to="under_review")
    assert any("他の担当者がすでに処理しました（現在の状態：審査中）" in m for m in messages_of(response))


def test_team_overview_lists_facilities_and_members_never_posts(clerk):
    import csv
    import io

    from tests.factories import join_team, make_patient
    from timeline.models import Post

    clinic = FacilityFactory(name="一覧医院")
    nurse = make_staff(clinic, email="nurse@ichiran.example.jp", last_name="看護")
    patient = make_patient("越前 一郎", "えちぜん いちろう")
    other = make_patient("若狭 二郎", "わかさ じろう")
    join_team(patient, clinic, nurse)
    Post.objects.create(patient=patient, author=nurse, facility=clinic, body="秘密の記事本文")
    page = clerk.client.get("/admin/review/teams/", {"facility": clinic.pk}).content.decode()
    assert "越前 一郎" in page and "一覧医院" in page and "看護 太郎" in page
    assert "若狭 二郎" not in page and "秘密の記事本文" not in page
    by_name = clerk.client.get("/admin/review/teams/", {"q": "わかさ"}).content.decode()
    assert "若狭 二郎" in by_name and "越前 一郎" not in by_name
    response = clerk.client.get("/admin/review/teams/", {"facility": clinic.pk, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][1:] == ["越前 一郎", "えちぜん いちろう", "一覧医院", clinic.code, "看護 太郎", "nurse@ichiran.example.jp"]
    assert len(rows) == 2 and other.title not in response.content.decode("utf-8-sig")


def test_the_secretariat_rewords_a_flow_mail_in_the_admin(clerk, django_capture_on_commit_callbacks):
    response = clerk.client.post(
        "/admin/snippets/forms/mailtemplate/add/",
        {"key": "correction", "subject": "【要修正】受付番号 {reference}", "body": "{name}\n{note}\nお手数をおかけします。"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    submission = submit("1", form_1())
    start = len(mail.outbox)
    clerk.act(submission, django_capture_on_commit_callbacks, action="correction", text="印がありません。")
    assert sent(start) == [("contact@applicant.example.jp", PREFIX + f"【要修正】受付番号 {submission.reference}")]
    assert "印がありません。\nお手数をおかけします。" in mail.outbox[-1].body


def test_a_mail_wording_with_an_unknown_placeholder_is_refused(clerk):
    from forms.models import MailTemplate

    response = clerk.client.post(
        "/admin/snippets/forms/mailtemplate/add/",
        {"key": "facility_joined", "subject": "参加 {patient_name}", "body": "{facility}"},
    )
    assert response.status_code == 200
    assert "使えないもの：{patient_name}" in response.content.decode()
    assert not MailTemplate.objects.exists()


def test_a_plain_move_cannot_accept_without_the_effects(clerk, django_capture_on_commit_callbacks):
    from network.models import Facility

    submission = submit("1", form_1())
    response = clerk.act(submission, django_capture_on_commit_callbacks, action="move", to="accepted")
    assert "この操作では状態を「受理」にできません。" in messages_of(response)
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.RECEIVED
    assert not Facility.objects.filter(code="1800000001").exists()
