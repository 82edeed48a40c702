"""Requests from the patient and family, and notifications without medical content."""

from django.core import mail

import pytest

from tests.factories import FacilityFactory, join_team, make_family, make_patient, make_staff
from timeline.models import ChangeRequest, Notification, NotificationPreference, Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    nurse = make_staff(clinic, job_title="看護師", last_name="田中")
    doctor = make_staff(clinic, job_title="医師", last_name="山田")
    other = make_staff(FacilityFactory(), job_title="薬剤師")
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, clinic, nurse, doctor)
    daughter = make_family(patient, relation="長女", last_name="福井", first_name="美咲")
    return {"patient": patient, "nurse": nurse, "doctor": doctor, "daughter": daughter, "other": other}


def _post(client, patient, text, **extra):
    response = client.post(patient.url, {"body": text, **extra})
    assert response.status_code == 302, response.content.decode()[:500]
    return Post.objects.latest("id")


def test_daughter_asks_for_deletion_and_the_author_deletes(team, signed_in, django_capture_on_commit_callbacks):
    nurse = signed_in(team["nurse"])
    post = _post(nurse, team["patient"], "ご家族の個人的なこと MARKER-REQ")
    daughter = signed_in(team["daughter"])
    assert "修正・削除をお願いする" in daughter.get(team["patient"].url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = daughter.post(
            f"/timeline/posts/{post.pk}/request/", {"kind": "delete", "reason": "家族の事情なので消してください"}
        )
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert Notification.objects.filter(user=team["nurse"], kind="change_request").exists()
    timeline = nurse.get(team["patient"].url).content.decode()
    assert "家族の事情なので消してください" in timeline and "回答する" in timeline
    with django_capture_on_commit_callbacks(execute=True):
        response = nurse.post(f"/timeline/requests/{change.pk}/answer/", {"accept": "yes", "reply": "削除しました"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.is_deleted and post.body == ""
    change.refresh_from_db()
    assert change.status == "done"
    assert Notification.objects.filter(user=team["daughter"], kind="request_answered").exists()
    assert "MARKER-REQ" not in daughter.get(team["patient"].url).content.decode()


def test_author_may_decline_with_a_reply(team, signed_in):
    post = _post(signed_in(team["nurse"]), team["patient"], "処置の記録")
    signed_in(team["daughter"]).post(f"/timeline/posts/{post.pk}/request/", {"kind": "edit", "reason": "表現を変えて"})
    change = ChangeRequest.objects.get()
    signed_in(team["nurse"]).post(f"/timeline/requests/{change.pk}/answer/", {"accept": "no", "reply": "記録のため残します"})
    change.refresh_from_db()
    assert change.status == "declined"
    timeline = signed_in(team["daughter"]).get(team["patient"].url).content.decode()
    assert "お断り" in timeline and "記録のため残します" in timeline


def test_staff_cannot_file_family_requests(team, signed_in):
    post = _post(signed_in(team["nurse"]), team["patient"], "処置の記録")
    response = signed_in(team["doctor"]).post(f"/timeline/posts/{post.pk}/request/", {"kind": "delete", "reason": "x"})
    assert response.status_code == 404
    assert not ChangeRequest.objects.exists()


def test_request_needs_a_reason(team, signed_in):
    post = _post(signed_in(team["nurse"]), team["patient"], "処置の記録")
    response = signed_in(team["daughter"]).post(f"/timeline/posts/{post.pk}/request/", {"kind": "delete", "reason": ""})
    assert response.status_code == 200
    assert "理由を書いてください" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_only_the_author_answers(team, signed_in):
    post = _post(signed_in(team["nurse"]), team["patient"], "処置の記録")
    signed_in(team["daughter"]).post(f"/timeline/posts/{post.pk}/request/", {"kind": "delete", "reason": "消して"})
    change = ChangeRequest.objects.get()
    response = signed_in(team["doctor"]).post(f"/timeline/requests/{change.pk}/answer/", {"accept": "yes"})
    assert response.status_code == 404
    assert not Post.objects.get().is_deleted


def test_new_post_notifies_the_team_by_mail_without_content(team, signed_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _post(signed_in(team["nurse"]), team["patient"], "発熱 38.5度 MARKER-MAIL")
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([team["doctor"].email, team["daughter"].email])
    for message in mail.outbox:
        assert message.subject == "[みまもりSNS] 新しいお知らせがあります"
        assert "MARKER-MAIL" not in message.body and "福井 トメ" not in message.body
        assert "発熱" not in message.body
    assert not Notification.objects.filter(user=team["other"]).exists()
    assert not Notification.objects.filter(user=team["nurse"]).exists()


def test_bell_counts_and_opening_the_timeline_clears(team, signed_in):
    _post(signed_in(team["nurse"]), team["patient"], "一")
    _post(signed_in(team["nurse"]), team["patient"], "二")
    doctor = signed_in(team["doctor"])
    assert 'class="count" aria-label="未読">2<' in doctor.get("/home/").content.decode()
    doctor.get(team["patient"].url)
    assert 'class="count"' not in doctor.get("/home/").content.decode()


def test_daily_digest_users_get_one_mail_later(team, signed_in, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=team["doctor"], email="daily")
    NotificationPreference.objects.create(user=team["daughter"], email="off")
    with django_capture_on_commit_callbacks(execute=True):
        _post(signed_in(team["nurse"]), team["patient"], "一")
        _post(signed_in(team["nurse"]), team["patient"], "二")
    assert mail.outbox == []
    from django.core.management import call_command

    call_command("send_digests", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert [m.to for m in mail.outbox] == [[team["doctor"].email]]
    assert "2件" in mail.outbox[0].body
    call_command("send_digests", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(mail.outbox) == 1


def test_notices_of_a_patient_one_can_no_longer_see_are_hidden(team, signed_in):
    from network import services

    _post(signed_in(team["nurse"]), team["patient"], "一")
    doctor = signed_in(team["doctor"])
    clinic = team["patient"].team_links.first().facility
    services.unlink_member(team["patient"], team["doctor"], clinic)
    page = doctor.get("/timeline/notifications/").content.decode()
    assert "福井 トメ" not in page


def test_preference_is_saved(team, signed_in):
    client = signed_in(team["doctor"])
    response = client.post("/timeline/notifications/", {"email": "off"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=team["doctor"]).email == "off"


def test_notices_of_a_deleted_post_stop_counting(team, signed_in):
    nurse = signed_in(team["nurse"])
    post = _post(nurse, team["patient"], "誤投稿")
    assert "未読 1件" in signed_in(team["doctor"]).get("/home/").content.decode()
    nurse.post(f"/timeline/posts/{post.pk}/delete/")
    assert not Notification.objects.filter(post=post).exists()
    assert "未読" not in signed_in(team["doctor"]).get("/home/").content.decode()
