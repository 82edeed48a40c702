"""English through the language switch (POST /i18n/setlang/), with real sign-ins.

Japanese is the default and stays so until a user picks English; the browser's language
alone changes nothing. Mails go out in Japanese whatever the sender's screen language.
"""

import datetime
import html
import re

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

import pytest

from tests.conftest import sign_in
from tests.factories import (
    FacilityFactory,
    join_team,
    make_admin,
    make_patient,
    make_staff,
    totp_device,
)
from timeline.models import Post

pytestmark = pytest.mark.django_db

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
EN_TIME = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d\d:\d\d\b")
JA_TIME = re.compile(r"\d{1,2}月\d{1,2}日 \d\d:\d\d")


def choose(client, language, next_url="/accounts/login/"):
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302
    return client


def visible_text(page):
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def team():
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    station = FacilityFactory(name="ひまわり訪問看護", kind="visiting_nurse")
    doctor = make_staff(clinic, job_title="医師", last_name="山田")
    nurse = make_staff(station, job_title="看護師", last_name="田中")
    admin = make_admin(clinic)
    totp_device(admin)
    patient = make_patient("福井 トメ", "ふくい とめ", birth_date=datetime.date(1940, 3, 3))
    join_team(patient, clinic, doctor)
    join_team(patient, station, nurse)
    return {"clinic": clinic, "doctor": doctor, "nurse": nurse, "admin": admin, "patient": patient}


def _post_with_next_visit(client, patient):
    response = client.post(
        patient.url, {"body": "本日訪問。", "next_visit_date": "2026-12-03", "plan_change": "減量"}
    )
    assert response.status_code == 302


# --- The default ----------------------------------------------------------------


def test_sign_in_page_is_japanese_by_default():
    page = Client().get("/accounts/login/").content.decode()
    assert '<html lang="ja">' in page
    assert "<h1>ログイン</h1>" in page and "メールアドレス（ログインID）" in page


def test_an_english_browser_alone_still_gets_japanese():
    page = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/accounts/login/").content.decode()
    assert '<html lang="ja">' in page and "<h1>ログイン</h1>" in page


# --- English after the switch -----------------------------------------------------


def test_sign_in_page_in_english_has_no_japanese_left():
    page = choose(Client(), "en").get("/accounts/login/").content.decode()
    assert '<html lang="en">' in page
    assert "<h1>Sign in</h1>" in page and "E-mail address (login ID)" in page
    assert "Password" in page and "Language" in page
    # The only Japanese is the language's own name in the switch.
    assert JAPANESE.findall(visible_text(page).replace("日本語", "")) == []


def test_english_survives_signing_in_and_shows_on_the_home_page(team, signed_in):
    signed_in(team["nurse"]).post(team["patient"].url, {"body": "体温36.8度。"})
    client = choose(Client(), "en")
    sign_in(client, team["doctor"])
    page = client.get("/home/").content.decode()
    assert "<h1>Patients</h1>" in page
    assert "1 unread" in page and "未読" not in page
    assert "born Mar 3, 1940" in page and "1940年" not in page
    for label in ("Notices", "Two-factor authentication", "Sign out", "Skip to content"):
        assert label in page
    assert "福井 トメ" in page  # names are data, never translated


def test_home_page_in_japanese_is_unchanged(team, signed_in):
    signed_in(team["nurse"]).post(team["patient"].url, {"body": "体温36.8度。"})
    page = signed_in(team["doctor"]).get("/home/").content.decode()
    assert "<h1>患者一覧</h1>" in page and "未読 1件" in page
    assert "・1940年3月3日生" in page


def test_patient_timeline_in_english(team, signed_in):
    _post_with_next_visit(signed_in(team["nurse"]), team["patient"])
    client = choose(signed_in(team["doctor"]), "en", team["patient"].url)
    page = client.get(team["patient"].url).content.decode()
    assert "Team (2 facilities)" in page
    assert "+ Write a post" in page and "All posts" in page and "Posts with shared care items" in page
    assert "Export care record (PDF)" in page
    assert "Next visit" in page and "Thu, Dec 3, 2026" in page
    assert "Change in treatment plan" in page
    assert "Read 1/1" in page or "Read 0/1" in page
    assert EN_TIME.search(page) and not JA_TIME.search(page)
    assert "本日訪問。" in page  # the post itself is not translated


def test_patient_timeline_in_japanese_keeps_japanese_dates(team, signed_in):
    _post_with_next_visit(signed_in(team["nurse"]), team["patient"])
    page = signed_in(team["doctor"]).get(team["patient"].url).content.decode()
    assert "チーム（2施設）" in page and "＋ 投稿を書く" in page
    assert "<dd>2026年12月3日（木）</dd>" in page
    assert JA_TIME.search(page) and not EN_TIME.search(page)
    assert re.search(r"既読 \d/1", page)


def test_facility_console_in_english(team, signed_in):
    client = choose(signed_in(team["admin"]), "en")
    page = client.get(f"/console/{team['clinic'].pk}/").content.decode()
    assert "Users (1)" in page and "Add user" in page and "Remove" in page
    assert "Medical institution" in page and "Facility code" in page and "Registered" in page
    assert "Patients whose team includes this facility (1)" in page
    assert "Add or remove team members" in page
    assert "利用者を追加" not in page and "事業所番号" not in page and "担当者の追加" not in page


def test_switching_back_to_japanese(team, signed_in):
    client = choose(signed_in(team["admin"]), "en")
    assert "Users (1)" in client.get(f"/console/{team['clinic'].pk}/").content.decode()
    choose(client, "ja")
    page = client.get(f"/console/{team['clinic'].pk}/").content.decode()
    assert '<html lang="ja">' in page and "利用者（1）" in page and "事業所番号" in page


# --- Messages built in Python switch too ----------------------------------------------


def test_form_error_from_a_module_constant_is_english(team, signed_in):
    """network.rules' messages were translated once at import time; now lazily, per reader."""
    client = choose(signed_in(team["admin"]), "en")
    response = client.post(
        f"/console/{team['clinic'].pk}/staff/add/",
        {"last_name": "坂井", "first_name": "美和", "email": team["admin"].email, "job_title": "看護師"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "facility administrator&#x27;s login" in page or "facility administrator's login" in page
    assert "管理画面ログイン用です" not in page


def test_upload_refusal_is_english(team, signed_in):
    client = choose(signed_in(team["nurse"]), "en", team["patient"].url)
    response = client.post(
        team["patient"].url,
        {"body": "添付", "files": [SimpleUploadedFile("photo.jpg", b"<html><script>x</script></html>")]},
    )
    assert response.status_code == 400
    assert "Files of this type cannot be attached." in response.content.decode()
    assert not Post.objects.exists()


# --- Mails stay Japanese --------------------------------------------------------------


def test_invitation_from_an_english_screen_is_mailed_in_japanese(team, signed_in, django_capture_on_commit_callbacks):
    client = choose(signed_in(team["admin"]), "en")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/console/{team['clinic'].pk}/staff/add/",
            {"last_name": "坂井", "first_name": "美和", "email": "miwa@clinic.example.jp", "job_title": "看護師"},
            follow=True,
        )
    assert "has been registered and an invitation e-mail has been sent" in response.content.decode()
    [message] = mail.outbox
    assert message.subject == "[みまもりSNS] 利用者登録のご案内"
    assert "パスワードを設定してください" in message.body and "password" not in message.body.lower()


def test_notice_mail_from_an_english_poster_is_japanese(team, signed_in, django_capture_on_commit_callbacks):
    client = choose(signed_in(team["nurse"]), "en", team["patient"].url)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(team["patient"].url, {"body": "体温36.8度。"})
    [message] = mail.outbox
    assert message.to == [team["doctor"].email]
    assert message.subject == "[みまもりSNS] 新しいお知らせがあります"
    assert "新しいお知らせが1件あります" in message.body and "notice" not in message.body.lower()
