"""The timeline through a real browser: a photo post and its read receipts, a family member's
deletion request answered by the author, and an outsider who finds nothing."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from documents.uploads import check_upload
from network import access
from tests.factories import (
    PASSWORD,
    FacilityFactory,
    join_team,
    make_family,
    make_patient,
    make_staff,
)
from timeline import services
from timeline.models import Attachment, ChangeRequest, Post

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 360, "height": 740}
PATIENT_NAME = "福井 トメ"


# -- helpers ---------------------------------------------------------------------------------


def log_in(page, site, email, password=PASSWORD):
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("メールアドレス（ログインID）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(password)
    page.get_by_role("button", name="ログイン").click()
    expect(page).to_have_url(f"{site}/home/")


def fresh_page(new_context):
    """A page in a browser context of its own (another person, other cookies)."""
    page = new_context().new_page()
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    return page


def assert_no_horizontal_overflow(page):
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


def assert_image_loaded(page, img):
    """The <img> is lazy: bring it on screen, then wait until the browser has decoded it."""
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())


def jpeg_file(tmp_path, name="wound.jpg", size=(800, 600)):
    """A real photo-like JPEG (a gradient with a shape), written with Pillow."""
    image = Image.new("RGB", size, (236, 200, 180))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 8):
        draw.line([(x, 0), (x, size[1])], fill=(200 + x % 50, 150, 140))
    draw.ellipse(
        [size[0] // 3, size[1] // 3, size[0] * 2 // 3, size[1] * 2 // 3], fill=(180, 60, 60)
    )
    path = tmp_path / name
    image.save(path, "JPEG", quality=90)
    return path


def the_team():
    """Four facilities around one patient; only the members linked to her may read her timeline."""
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    station = FacilityFactory(name="ひまわり訪問看護ステーション", kind="visiting_nurse")
    pharmacy = FacilityFactory(name="さくら調剤薬局", kind="pharmacy")
    doctor = make_staff(
        clinic, job_title="医師", last_name="山田", first_name="一郎", email="doctor@example.jp"
    )
    nurse = make_staff(
        station, job_title="看護師", last_name="田中", first_name="花子", email="nurse@example.jp"
    )
    pharmacist = make_staff(
        pharmacy, job_title="薬剤師", last_name="小林", first_name="誠", email="pharma@example.jp"
    )
    patient = make_patient(PATIENT_NAME, "ふくい とめ", birth_date=date(1935, 2, 3))
    join_team(patient, clinic, doctor)
    join_team(patient, station, nurse)
    join_team(patient, pharmacy, pharmacist)
    daughter = make_family(
        patient, relation="長女", last_name="福井", first_name="美咲", email="misaki@example.jp"
    )
    return {
        "patient": patient,
        "clinic": clinic,
        "station": station,
        "doctor": doctor,
        "nurse": nurse,
        "pharmacist": pharmacist,
        "daughter": daughter,
    }


# -- 1. a photo post, seen by the doctor, read receipt back to the nurse ---------------------


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_nurse_posts_a_photo_and_sees_the_doctor_has_read_it(
    site, page, new_context, shot, tmp_path
):
    team = the_team()
    patient = team["patient"]
    # Everyone but the author who may read the timeline: doctor, pharmacist and the daughter.
    audience = 3
    assert access.readers_of(patient) - {team["nurse"].pk} == {
        team["doctor"].pk,
        team["pharmacist"].pk,
        team["daughter"].pk,
    }
    photo = jpeg_file(tmp_path)

    # The nurse, on her phone, posts a photo with a note.
    log_in(page, site, "nurse@example.jp")
    page.get_by_role("link", name=PATIENT_NAME).click()
    expect(page).to_have_url(f"{site}{patient.url}")
    expect(page.get_by_role("heading", level=1)).to_have_text(PATIENT_NAME)
    expect(page.get_by_text("まだ投稿はありません。")).to_be_visible()
    page.get_by_text("＋ 投稿を書く").click()
    page.locator("textarea[name=body]").fill(
        "仙骨部の発赤、昨日より縮小しています。\n写真を添付します。"
    )
    page.locator("input[name=files]").set_input_files(photo)
    page.get_by_role("button", name="投稿する").click()

    expect(page).to_have_url(f"{site}{patient.url}")
    expect(page.get_by_role("status")).to_contain_text("投稿しました。")
    post = page.locator("article.post")
    expect(post).to_have_count(1)
    expect(post.locator(".post-author")).to_have_text("田中 花子")
    expect(post.locator(".post-head")).to_contain_text("看護師")
    expect(post.locator(".post-head")).to_contain_text("ひまわり訪問看護ステーション")
    expect(post.locator(".post-body")).to_contain_text("仙骨部の発赤、昨日より縮小しています。")
    expect(post.get_by_role("link", name=f"既読 0/{audience}")).to_be_visible()
    thumb = post.locator("ul.attachments img")
    expect(thumb).to_have_count(1)
    stored = Attachment.objects.get()
    assert stored.kind == "image" and stored.thumbnail
    expect(thumb).to_have_attribute("src", f"/timeline/files/{stored.pk}/thumbnail/")
    assert_image_loaded(page, thumb)
    # The composer is closed and empty again, so a reload does not post twice.
    expect(page.locator("textarea[name=body]")).to_have_value("")
    expect(page.locator("textarea[name=body]")).to_be_hidden()
    assert_no_horizontal_overflow(page)
    shot(page, "20-timeline-nurse-after-photo-post-phone")

    # The doctor, in a browser of his own, sees the unread badge first, then the photo.
    doctor = fresh_page(new_context)
    log_in(doctor, site, "doctor@example.jp")
    card = doctor.locator("li.card").filter(has_text=PATIENT_NAME)
    expect(card.locator(".badge.unread")).to_have_text("未読 1件")
    expect(doctor.locator("a.bell .count")).to_have_text("1")
    assert_no_horizontal_overflow(doctor)
    shot(doctor, "21-home-doctor-unread-phone")
    card.get_by_role("link", name=PATIENT_NAME).click()
    expect(doctor).to_have_url(f"{site}{patient.url}")
    seen = doctor.locator("article.post")
    expect(seen).to_have_count(1)
    expect(seen.locator(".post-body")).to_contain_text("写真を添付します。")
    doctor_thumb = seen.locator("ul.attachments img")
    assert_image_loaded(doctor, doctor_thumb)
    # The full-size photo behind the thumbnail is served to him too.
    full = doctor.request.get(f"{site}/timeline/files/{stored.pk}/")
    assert full.status == 200
    assert full.headers["content-type"] == "image/jpeg"
    assert full.headers["cache-control"] == "private, no-store"
    shot(doctor, "22-timeline-doctor-phone")
    # Having opened it, the badge and the bell are gone.
    doctor.get_by_role("link", name="患者一覧").click()
    expect(doctor.get_by_role("heading", name="患者一覧")).to_be_visible()
    expect(doctor.get_by_text("未読 1件")).to_have_count(0)
    expect(doctor.locator("a.bell .count")).to_have_count(0)

    # The nurse reloads: one of three has read it, and the list says who.
    page.reload()
    receipt = page.locator("article.post").get_by_role("link", name=f"既読 1/{audience}")
    expect(receipt).to_be_visible()
    receipt.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"既読 1/{audience}")
    read_list = page.locator("h2:has-text('読んだ人') + ul")
    unread_list = page.locator("h2:has-text('まだ読んでいない人') + ul")
    expect(read_list).to_contain_text("山田 一郎")
    expect(unread_list).to_contain_text("小林 誠")
    expect(unread_list).to_contain_text("福井 美咲")
    expect(unread_list).not_to_contain_text("山田")
    assert_no_horizontal_overflow(page)
    shot(page, "23-readers-phone")


# -- 2. the daughter asks for deletion, the nurse answers, the text is gone ------------------


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_daughter_asks_for_deletion_and_the_nurse_deletes(site, page, new_context, shot):
    team = the_team()
    patient = team["patient"]
    secret = "ご長女の離婚の件で、ご本人が落ち込まれています。"
    services.create_post(team["nurse"], patient, team["station"], "看護師", {"body": secret})
    post = Post.objects.get()
    reason = "家族の個人的な事情なので、消してください。"

    # The daughter, on her phone, opens her mother's timeline and asks for the post to go.
    log_in(page, site, "misaki@example.jp")
    page.get_by_role("link", name=PATIENT_NAME).click()
    expect(page).to_have_url(f"{site}{patient.url}")
    article = page.locator(f"#post-{post.pk}")
    expect(article.locator(".post-body")).to_have_text(secret)
    assert_no_horizontal_overflow(page)
    shot(page, "24-timeline-daughter-phone")
    article.get_by_role("link", name="修正・削除をお願いする").click()

    expect(page).to_have_url(f"{site}/timeline/posts/{post.pk}/request/")
    expect(page.get_by_role("heading", level=1)).to_have_text("修正・削除のお願い")
    expect(
        page.get_by_text("田中 花子 さんの投稿について、修正または削除をお願いします。")
    ).to_be_visible()
    expect(page.locator("blockquote")).to_have_text(secret)
    page.get_by_label("削除してほしい").check()
    page.get_by_label("理由").fill(reason)
    assert_no_horizontal_overflow(page)
    shot(page, "25-request-form-phone")
    page.get_by_role("button", name="お願いを送る").click()

    expect(page).to_have_url(f"{site}{patient.url}")
    expect(page.get_by_role("status")).to_contain_text(
        "投稿者にお願いを送りました。回答があるとお知らせします。"
    )
    request_box = page.locator(f"#post-{post.pk} .request")
    expect(request_box).to_contain_text("削除のお願い")
    expect(request_box).to_contain_text(reason)
    expect(request_box).to_contain_text("回答待ち")
    expect(request_box.get_by_role("link", name="回答する")).to_have_count(0)
    change = ChangeRequest.objects.get()
    assert (change.kind, change.status) == ("delete", "open")

    # The nurse, in her own browser, sees the bell, the notice, and the request with its reason.
    nurse = fresh_page(new_context)
    log_in(nurse, site, "nurse@example.jp")
    bell = nurse.locator("a.bell")
    expect(bell).to_contain_text("お知らせ")
    expect(bell.locator(".count")).to_have_text("1")
    bell.click()
    expect(nurse).to_have_url(f"{site}/timeline/notifications/")
    expect(nurse.get_by_role("heading", level=1)).to_have_text("お知らせ")
    notice = nurse.locator("li.card.unread-notice")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("修正・削除の依頼")
    expect(notice).to_contain_text("未読")
    assert_no_horizontal_overflow(nurse)
    shot(nurse, "26-notifications-nurse-phone")
    notice.get_by_role("link", name=PATIENT_NAME).click()

    expect(nurse).to_have_url(f"{site}{patient.url}#post-{post.pk}")
    nurse_box = nurse.locator(f"#post-{post.pk} .request")
    expect(nurse_box).to_contain_text("福井 美咲")
    expect(nurse_box).to_contain_text(reason)
    expect(nurse_box).to_contain_text("回答待ち")
    expect(bell.locator(".count")).to_have_count(0)
    nurse_box.get_by_role("link", name="回答する").click()

    expect(nurse).to_have_url(f"{site}/timeline/requests/{change.pk}/answer/")
    expect(nurse.get_by_role("heading", level=1)).to_have_text("削除のお願い")
    expect(nurse.get_by_text("福井 美咲 さんからのお願いです。")).to_be_visible()
    expect(nurse.locator("p.card")).to_have_text(reason)
    expect(nurse.locator("blockquote")).to_have_text(secret)
    nurse.get_by_label("対応しました（削除の依頼なら削除します）").check()
    nurse.get_by_label("ひとこと").fill("削除しました。ご連絡ありがとうございます。")
    assert_no_horizontal_overflow(nurse)
    shot(nurse, "27-answer-form-phone")
    nurse.once("dialog", lambda dialog: dialog.accept())
    nurse.get_by_role("button", name="回答する").click()

    expect(nurse).to_have_url(f"{site}{patient.url}")
    expect(nurse.get_by_role("status")).to_contain_text(
        "回答しました。依頼した方にお知らせします。"
    )
    gone = nurse.locator(f"#post-{post.pk}")
    expect(gone.locator(".placeholder")).to_have_text("この投稿は削除されました")
    expect(gone).not_to_contain_text(secret)
    expect(gone.locator(".request")).to_contain_text("対応済み")
    shot(nurse, "28-timeline-nurse-after-delete-phone")

    # The daughter reloads: the request is done and the text is gone.
    page.reload()
    article = page.locator(f"#post-{post.pk}")
    expect(article.locator(".placeholder")).to_have_text("この投稿は削除されました")
    expect(article.locator(".request")).to_contain_text("対応済み")
    expect(article.locator(".request")).to_contain_text(
        "削除しました。ご連絡ありがとうございます。"
    )
    expect(page.get_by_text(secret)).to_have_count(0)
    expect(article.get_by_role("link", name="修正・削除をお願いする")).to_have_count(0)
    assert_no_horizontal_overflow(page)
    shot(page, "29-timeline-daughter-after-delete-phone")
    post.refresh_from_db()
    assert post.is_deleted and post.body == ""


# -- 3. an outsider finds nothing, not even the photo ----------------------------------------


def test_outsider_gets_404_for_the_timeline_and_the_photo(site, page, new_context, tmp_path):
    team = the_team()
    patient = team["patient"]
    photo = jpeg_file(tmp_path)
    with photo.open("rb") as handle:
        upload = check_upload(SimpleUploadedFile("wound.jpg", handle.read(), "image/jpeg"))
    services.create_post(
        team["nurse"],
        patient,
        team["station"],
        "看護師",
        {"body": "創部の写真 MARKER-OUT"},
        uploads=[upload],
    )
    item = Attachment.objects.get()
    assert item.thumbnail
    urls = [patient.url, f"/timeline/files/{item.pk}/", f"/timeline/files/{item.pk}/thumbnail/"]

    # Control: the same three addresses work for a member of the team.
    member = fresh_page(new_context)
    log_in(member, site, "doctor@example.jp")
    for url in urls:
        assert member.request.get(f"{site}{url}").status == 200, url

    other = FacilityFactory(name="よその薬局", kind="pharmacy")
    make_staff(other, job_title="薬剤師", last_name="鈴木", first_name="健", email="out@example.jp")
    log_in(page, site, "out@example.jp")
    expect(page.get_by_text("担当している患者はいません。")).to_be_visible()
    expect(page.get_by_text("福井")).to_have_count(0)

    for url in urls:
        response = page.goto(f"{site}{url}")
        assert response.status == 404, url
        for leak in ("福井", "トメ", "ふくい", "MARKER-OUT", "ひまわり"):
            expect(page.locator("body")).not_to_contain_text(leak)
        assert response.headers["content-type"].startswith("text/html"), url
        assert "image/" not in response.headers["content-type"]
