"""Posting, reading, editing and deleting on a patient's timeline, through real logins."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest
from reversion.models import Version

from network import services as network_services
from tests.factories import (
    FacilityFactory,
    join_team,
    make_family,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)
from timeline.models import Post, PostRead

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    station = FacilityFactory(name="ひまわり訪問看護", kind="visiting_nurse")
    other = FacilityFactory(name="よその薬局", kind="pharmacy")
    doctor = make_staff(clinic, job_title="医師", last_name="山田")
    nurse = make_staff(station, job_title="看護師", last_name="田中")
    outsider = make_staff(other, job_title="薬剤師")
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, clinic, doctor)
    join_team(patient, station, nurse)
    return {"patient": patient, "doctor": doctor, "nurse": nurse, "outsider": outsider,
            "clinic": clinic, "station": station}


def _post(client, patient, **data):
    return client.post(patient.url, {"body": "", **data})


def test_member_posts_and_the_team_sees_author_facility_and_job(team, signed_in):
    response = _post(signed_in(team["nurse"]), team["patient"], body="体温37.8度。\n咳あり。")
    assert response.status_code == 302
    body = signed_in(team["doctor"]).get(team["patient"].url).content.decode()
    assert "体温37.8度。<br>咳あり。" in body
    assert "田中" in body and "ひまわり訪問看護" in body and "看護師" in body


def test_links_are_clickable_and_script_is_inert(team, signed_in):
    client = signed_in(team["nurse"])
    _post(client, team["patient"], body='<script>alert(1)</script> https://example.jp/x javascript:alert(2)')
    body = client.get(team["patient"].url).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'href="https://example.jp/x"' in body
    assert 'href="javascript:' not in body


def test_empty_post_is_refused_in_japanese_and_nothing_stored(team, signed_in):
    response = _post(signed_in(team["nurse"]), team["patient"], body="   ")
    assert response.status_code == 400
    assert "本文を入力するか" in response.content.decode()
    assert Post.objects.count() == 0


def test_text_over_ten_thousand_characters_is_refused(team, signed_in):
    response = _post(signed_in(team["nurse"]), team["patient"], body="あ" * 10_001)
    assert response.status_code == 400
    assert "10000文字以内" in response.content.decode()
    assert Post.objects.count() == 0


@pytest.mark.parametrize("who", ["outsider", "secretariat"])
def test_posting_to_a_patient_outside_ones_teams_is_404_and_stores_nothing(team, signed_in, who):
    user = team["outsider"] if who == "outsider" else make_secretariat()
    if who == "secretariat":
        totp_device(user)
    response = _post(signed_in(user), team["patient"], body="見えないはず")
    assert response.status_code == 404
    assert "福井" not in response.content.decode()
    assert Post.objects.count() == 0


def test_structured_fields_are_labelled_and_filterable(team, signed_in):
    client = signed_in(team["doctor"])
    _post(client, team["patient"], body="定期診察", next_visit_date="2026-12-03",
          plan_change="利尿薬を減量", care_cautions="転倒に注意")
    _post(client, team["patient"], body="ふつうの連絡")
    body = client.get(team["patient"].url + "?structured=1").content.decode()
    assert "次回訪問日" in body and "2026年12月3日" in body
    assert "治療方針の変更" in body and "利尿薬を減量" in body
    assert "ケア上の注意点" in body and "転倒に注意" in body
    assert "ふつうの連絡" not in body


def _bulk_posts(patient, author, facility, n):
    Post.objects.bulk_create(
        [Post(patient=patient, author=author, facility=facility, body=f"記録{i:04d}") for i in range(n)]
    )


def test_newest_first_with_cursor_paging(team, signed_in):
    _bulk_posts(team["patient"], team["nurse"], team["station"], 35)
    client = signed_in(team["doctor"])
    first = client.get(team["patient"].url).content.decode()
    assert first.index("記録0034") < first.index("記録0033")
    assert "記録0005" in first and "記録0004" not in first
    oldest_shown = Post.objects.get(body="記録0005").pk
    second = client.get(team["patient"].url + f"?before={oldest_shown}").content.decode()
    assert "記録0004" in second and "記録0000" in second and "記録0005" not in second


def _queries_for_timeline(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_timeline_query_count_does_not_grow_with_posts(team, signed_in):
    client = signed_in(team["doctor"])
    _bulk_posts(team["patient"], team["nurse"], team["station"], 30)
    client.get(team["patient"].url)  # first view records read marks
    small = _queries_for_timeline(client, team["patient"].url)
    _bulk_posts(team["patient"], team["nurse"], team["station"], 2_970)
    client.get(team["patient"].url)
    large = _queries_for_timeline(client, team["patient"].url)
    assert small == large


def test_reading_records_a_receipt_and_counts_it(team, signed_in):
    nurse_client = signed_in(team["nurse"])
    _post(nurse_client, team["patient"], body="褥瘡の処置をしました", ack_requested="on")
    post = Post.objects.get()
    assert "既読 0/1" in nurse_client.get(team["patient"].url).content.decode()
    signed_in(team["doctor"]).get(team["patient"].url)
    assert PostRead.objects.filter(post=post, user=team["doctor"]).exists()
    assert "既読 1/1" in nurse_client.get(team["patient"].url).content.decode()
    readers = nurse_client.get(f"/timeline/posts/{post.pk}/readers/").content.decode()
    assert "山田" in readers and "全員が読みました" in readers


def test_acknowledgement_request_shows_who_has_not_read(team, signed_in):
    family = make_family(team["patient"], last_name="福井", first_name="美咲")
    _post(signed_in(team["nurse"]), team["patient"], body="ご家族も確認ください", ack_requested="on")
    post = Post.objects.get()
    signed_in(team["doctor"]).get(team["patient"].url)
    readers = signed_in(team["nurse"]).get(f"/timeline/posts/{post.pk}/readers/").content.decode()
    unread_part = readers.split("まだ読んでいない人")[1]
    assert "福井 美咲" in unread_part and "山田" not in unread_part
    assert family.pk not in PostRead.objects.values_list("user_id", flat=True)


def test_unread_counts_on_the_patient_list(team, signed_in):
    nurse_client = signed_in(team["nurse"])
    for text in ("一", "二", "三"):
        _post(nurse_client, team["patient"], body=text)
    doctor_client = signed_in(team["doctor"])
    assert "未読 3件" in doctor_client.get("/home/").content.decode()
    doctor_client.get(team["patient"].url)
    assert "未読" not in doctor_client.get("/home/").content.decode()


def test_edit_keeps_every_version_and_marks_the_post(team, signed_in):
    client = signed_in(team["nurse"])
    _post(client, team["patient"], body="血圧 130/80")
    post = Post.objects.get()
    response = client.post(f"/timeline/posts/{post.pk}/edit/", {"body": "血圧 132/80", "version": 1})
    assert response.status_code == 302
    response = client.post(f"/timeline/posts/{post.pk}/edit/", {"body": "血圧 132/84", "version": 2})
    assert response.status_code == 302
    assert Version.objects.get_for_object(post).count() == 3
    timeline = signed_in(team["doctor"]).get(team["patient"].url).content.decode()
    assert "（編集済み）" in timeline and "血圧 132/84" in timeline
    history = signed_in(team["doctor"]).get(f"/timeline/posts/{post.pk}/history/").content.decode()
    assert "血圧 130/80" in history and "血圧 132/80" in history and "<del>- 血圧 130/80</del>" in history


def test_stale_edit_gets_a_conflict_and_loses_nothing(team, signed_in):
    client = signed_in(team["nurse"])
    _post(client, team["patient"], body="最初")
    post = Post.objects.get()
    client.post(f"/timeline/posts/{post.pk}/edit/", {"body": "別の端末で直した", "version": 1})
    response = client.post(f"/timeline/posts/{post.pk}/edit/", {"body": "古い画面からの修正", "version": 1})
    assert response.status_code == 409
    body = response.content.decode()
    assert "別の画面で変更されています" in body
    assert "古い画面からの修正" in body and "別の端末で直した" in body
    post.refresh_from_db()
    assert post.body == "別の端末で直した"


def test_only_the_author_may_edit_or_delete(team, signed_in):
    _post(signed_in(team["nurse"]), team["patient"], body="看護記録")
    post = Post.objects.get()
    doctor = signed_in(team["doctor"])
    assert doctor.get(f"/timeline/posts/{post.pk}/edit/").status_code == 404
    assert doctor.post(f"/timeline/posts/{post.pk}/delete/").status_code == 404
    assert Post.objects.get().body == "看護記録"


def test_outsider_cannot_open_history_or_readers(team, signed_in):
    _post(signed_in(team["nurse"]), team["patient"], body="看護記録")
    post = Post.objects.get()
    outsider = signed_in(team["outsider"])
    for path in (f"/timeline/posts/{post.pk}/history/", f"/timeline/posts/{post.pk}/readers/"):
        response = outsider.get(path)
        assert response.status_code == 404
        assert "福井" not in response.content.decode()


def test_delete_leaves_a_placeholder_and_removes_content_and_history(team, signed_in):
    client = signed_in(team["nurse"])
    _post(client, team["patient"], body="誤って書いた内容 MARKER-DEL-1")
    post = Post.objects.get()
    client.post(f"/timeline/posts/{post.pk}/edit/", {"body": "直した内容 MARKER-DEL-2", "version": 1})
    assert client.post(f"/timeline/posts/{post.pk}/delete/").status_code == 302
    post.refresh_from_db()
    assert post.body == "" and post.deleted_at is not None
    assert not Version.objects.get_for_object(post).exists()
    timeline = signed_in(team["doctor"]).get(team["patient"].url).content.decode()
    assert "この投稿は削除されました" in timeline and "田中" in timeline
    assert "MARKER-DEL" not in timeline


def test_ended_link_ends_posting_at_once(team, signed_in):
    client = signed_in(team["nurse"])
    network_services.unlink_member(team["patient"], team["nurse"], team["station"])
    response = _post(client, team["patient"], body="もう書けない")
    assert response.status_code == 404
    assert Post.objects.count() == 0


def test_nul_characters_are_refused_in_japanese_and_nothing_stored(team, signed_in):
    response = _post(signed_in(team["nurse"]), team["patient"], body="服薬\x00確認")
    assert response.status_code == 400
    assert "使えない制御文字（NUL）が含まれています" in response.content.decode()
    assert Post.objects.count() == 0
