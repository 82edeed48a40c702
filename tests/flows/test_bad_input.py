"""Bad input in the flows: each gets a clear Japanese message and leaves the data consistent."""

from django.core import mail
from django.test import Client

import pytest

from accounts.models import User
from audit.models import AuditEntry
from forms import review
from forms.models import Submission, SubmissionStatus
from network.models import Facility, FacilityMembership, FacilityStatus, PatientPage
from tests.factories import FacilityFactory, UserFactory, make_admin, make_patient

from .conftest import accept_invitation, link_in, messages_of, submit
from .test_flows import form_1

pytestmark = pytest.mark.django_db


def test_a_facility_code_that_exists_already_is_refused(clerk, django_capture_on_commit_callbacks):
    FacilityFactory(code="1800000001", name="既存の医院")
    submission = submit("1", form_1())
    plan = clerk.preview(submission)
    assert any("事業所番号 1800000001 の施設（既存の医院）はすでに登録されています" in p for p in plan.problems)
    start = len(mail.outbox)
    response = clerk.accept(submission, django_capture_on_commit_callbacks)
    assert any("すでに登録されています" in m for m in messages_of(response))
    assert Facility.objects.filter(code="1800000001").count() == 1
    assert not User.objects.filter(email="admin@naika.example.jp").exists()
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.RECEIVED
    assert len(mail.outbox) == start


def test_an_admin_email_already_in_use_is_refused(clerk, django_capture_on_commit_callbacks):
    UserFactory(email="admin@naika.example.jp")
    submission = submit("1", form_1())
    assert any("admin@naika.example.jp はすでに別のアカウントで使われています" in p for p in clerk.preview(submission).problems)
    response = clerk.accept(submission, django_capture_on_commit_callbacks)
    assert any("すでに別のアカウント" in m for m in messages_of(response))
    assert not Facility.objects.filter(code="1800000001").exists()
    assert Submission.objects.get(pk=submission.pk).effects_applied_at is None


def test_a_used_admin_invitation_link_does_not_work_twice(clerk, django_capture_on_commit_callbacks):
    submission = submit("1", form_1())
    clerk.accept(submission, django_capture_on_commit_callbacks)
    invitation = next(m for m in mail.outbox if m.to == ["admin@naika.example.jp"])
    accept_invitation(invitation)
    again = Client().get(link_in(invitation), follow=True).content.decode()
    assert "使用済みか、有効期限" in again
    # A password alone is not 本登録: the facility waits for the second factor.
    assert Facility.objects.get(code="1800000001").status == FacilityStatus.PROVISIONAL


def test_a_resent_admin_invitation_replaces_the_first(clerk, django_capture_on_commit_callbacks):
    from accounts.invitations import send_invitation

    submission = submit("1", form_1())
    clerk.accept(submission, django_capture_on_commit_callbacks)
    first = next(m for m in mail.outbox if m.to == ["admin@naika.example.jp"])
    facility = Facility.objects.get(code="1800000001")
    send_invitation(FacilityMembership.objects.get(facility=facility).user, facility)
    assert "使用済みか、有効期限" in Client().get(link_in(first), follow=True).content.decode()
    accept_invitation(mail.outbox[-1])


def test_withdrawing_an_already_withdrawn_patient_is_refused(clerk, django_capture_on_commit_callbacks):
    clinic = FacilityFactory()
    make_admin(clinic)
    patient = make_patient()
    data = {"withdrawal_date": "2026-08-01", "patient_name": "患者 テスト", "requester": "self"}
    first = submit("7", data, facility=clinic, patient=patient)
    second = submit("7", data, facility=clinic, patient=patient)
    clerk.accept(first, django_capture_on_commit_callbacks)
    assert not PatientPage.objects.filter(pk=patient.pk).exists()
    second = Submission.objects.get(pk=second.pk)
    assert any("すでに同意撤回の手続きが済んでいる" in p for p in clerk.preview(second).problems)
    response = clerk.accept(second, django_capture_on_commit_callbacks)
    assert any("すでに同意撤回" in m for m in messages_of(response))
    assert Submission.objects.get(pk=second.pk).status == SubmissionStatus.RECEIVED


def test_two_clerks_accepting_at_once_one_wins(clerk, signed_in, django_capture_on_commit_callbacks):
    from tests.factories import make_secretariat, totp_device

    other = make_secretariat(email="jimukyoku2@med.example.jp")
    totp_device(other)
    other_client = signed_in(other)
    submission = submit("1", form_1())
    # Both clerks opened the accept screen while the submission was "received".
    seen = submission.status
    clerk.accept(submission, django_capture_on_commit_callbacks, seen=seen)
    start = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = other_client.post(
            f"/admin/review/{submission.pk}/accept/", {"action": "confirm", "seen_status": seen}, follow=True
        )
    assert any("他の担当者がすでに処理しました（現在の状態：受理）" in m for m in messages_of(response))
    assert Facility.objects.filter(code="1800000001").count() == 1
    assert FacilityMembership.objects.filter(facility__code="1800000001").count() == 1
    assert len(mail.outbox) == start  # no second invitation


def test_a_stale_accept_loses_to_the_first_in_the_service(clerk, django_capture_on_commit_callbacks):
    """The same race below the screens: two in-memory copies of one submission."""
    submission = submit("1", form_1())
    copy_a = Submission.objects.get(pk=submission.pk)
    copy_b = Submission.objects.get(pk=submission.pk)
    review.accept(copy_a, clerk.user)
    with pytest.raises(review.ReviewError) as refused:
        review.accept(copy_b, clerk.user)
    assert "他の担当者がすでに処理しました" in refused.value.messages[0]
    assert Facility.objects.filter(code="1800000001").count() == 1
    assert AuditEntry.objects.filter(action="submission.accept").count() == 1


def test_accepting_twice_changes_nothing_more(clerk, django_capture_on_commit_callbacks):
    submission = submit("1", form_1())
    clerk.accept(submission, django_capture_on_commit_callbacks)
    fresh = Submission.objects.get(pk=submission.pk)
    start = len(mail.outbox)
    response = clerk.accept(fresh, django_capture_on_commit_callbacks)
    assert any("すでに受理され、登録に反映されています" in m for m in messages_of(response))
    assert Facility.objects.filter(code="1800000001").count() == 1
    assert len(mail.outbox) == start
