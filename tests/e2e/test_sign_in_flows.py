"""Signing in through a real browser: staff on a phone, facility admins with and without
a second factor, and the lockout after five wrong passwords."""

import re
from base64 import b32decode
from datetime import date

from django.contrib.auth import get_user_model
from django.core import mail

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from network.models import FacilityMembership, MembershipRole
from tests.conftest import current_code
from tests.factories import (
    PASSWORD,
    FacilityFactory,
    join_team,
    make_admin,
    make_patient,
    make_staff,
    totp_device,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 360, "height": 740}


def log_in(page, site, email, password=PASSWORD):
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("メールアドレス（ログインID）").fill(email)
    page.get_by_label("パスワード", exact=True).fill(password)
    page.get_by_role("button", name="ログイン").click()


def path_of(page):
    return re.sub(r"^https?://[^/]+", "", page.url)


def assert_no_horizontal_overflow(page):
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{path_of(page)} is {overflow}px wider than the viewport"


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_staff_nurse_on_a_phone_sees_only_her_patients(site, page, shot):
    clinic, other = FacilityFactory(name="みまもり在宅クリニック"), FacilityFactory()
    nurse = make_staff(clinic, last_name="佐藤", first_name="花子", email="nurse@example.jp")
    outsider = make_staff(other, last_name="鈴木", first_name="健")
    mine = make_patient("見守 花子", "みまもり はなこ", birth_date=date(1936, 4, 12))
    theirs = make_patient("越前 一郎", "えちぜん いちろう")
    join_team(mine, clinic, nurse)
    join_team(theirs, other, outsider)

    page.goto(f"{site}/accounts/login/")
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()
    assert_no_horizontal_overflow(page)
    shot(page, "01-login-phone")

    log_in(page, site, "nurse@example.jp")
    expect(page).to_have_url(f"{site}/home/")
    expect(page.get_by_role("heading", name="患者一覧")).to_be_visible()
    expect(page.get_by_role("link", name="見守 花子")).to_be_visible()
    expect(page.get_by_text("1936年4月12日生")).to_be_visible()
    expect(page.get_by_text("越前 一郎")).to_have_count(0)
    expect(page.get_by_role("link", name="施設の管理")).to_have_count(0)
    assert_no_horizontal_overflow(page)
    shot(page, "02-home-list-phone")

    page.get_by_role("link", name="見守 花子").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(site)}/network/patients/{mine.slug}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("見守 花子")
    expect(page.get_by_text("＋ 投稿を書く")).to_be_visible()
    team = page.locator("details.team")
    team.locator("summary").click()
    expect(team).to_contain_text("みまもり在宅クリニック")
    expect(team).to_contain_text("佐藤 花子（看護師）")
    assert_no_horizontal_overflow(page)
    shot(page, "03-patient-page-phone")

    # The other team's patient is a 404 that names nothing.
    response = page.goto(f"{site}{theirs.url}")
    assert response.status == 404
    expect(page.get_by_text("越前")).to_have_count(0)


def test_facility_admin_passes_totp_and_adds_a_staff_member(site, page, shot):
    clinic = FacilityFactory(name="さくら調剤薬局")
    admin = make_admin(clinic, last_name="管理", first_name="薬局", email="admin@example.jp")
    device = totp_device(admin)

    log_in(page, site, "admin@example.jp")
    expect(page).to_have_url(re.compile(rf"^{re.escape(site)}/2fa/verify/\?next=%2Fhome%2F$"))
    expect(page.get_by_role("heading", name="確認コードの入力")).to_be_visible()
    shot(page, "04-verify")
    page.get_by_label("確認コード").fill(current_code(device))
    page.get_by_role("button", name="確認").click()
    expect(page).to_have_url(f"{site}/home/")
    expect(page.get_by_text("担当している患者はいません。")).to_be_visible()

    page.get_by_role("link", name="施設の管理").click()
    expect(page).to_have_url(f"{site}/console/{clinic.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("さくら調剤薬局")
    expect(page.get_by_role("heading", name="利用者（0）")).to_be_visible()
    expect(page.get_by_text("まだ利用者がいません。")).to_be_visible()
    shot(page, "05-console")

    page.get_by_role("link", name="利用者を追加").click()
    expect(page).to_have_url(f"{site}/console/{clinic.pk}/staff/add/")
    expect(page.get_by_role("heading", name="利用者を追加")).to_be_visible()
    # First try: the admin's own address, which the rules refuse for a staff account.
    page.get_by_role("textbox", name="姓", exact=True).fill("高橋")
    page.get_by_role("textbox", name="名", exact=True).fill("美穂")
    page.get_by_role("textbox", name="利用者用メールアドレス").fill("admin@example.jp")
    page.get_by_role("combobox", name="職種").fill("薬剤師")
    page.get_by_role("button", name="登録して招待メールを送る").click()
    expect(page).to_have_url(f"{site}/console/{clinic.pk}/staff/add/")
    expect(page.locator(".errorlist")).to_be_visible()
    shot(page, "06-staff-form-error")
    assert len(mail.outbox) == 0

    page.get_by_role("textbox", name="利用者用メールアドレス").fill("Takahashi@Example.jp")
    page.get_by_role("textbox", name="姓（かな）").fill("たかはし")
    page.get_by_role("button", name="登録して招待メールを送る").click()
    expect(page).to_have_url(f"{site}/console/{clinic.pk}/")
    expect(page.locator(".message.success")).to_have_text(
        "高橋 美穂 さんを登録し、招待メールを送りました（リンクの有効期限は72時間）。"
    )
    expect(page.get_by_role("heading", name="利用者（1）")).to_be_visible()
    row = page.locator("li.person").filter(has_text="高橋 美穂")
    expect(row).to_contain_text("薬剤師")
    expect(row).to_contain_text("takahashi@example.jp")
    shot(page, "07-console-after-add")

    # The live server runs in this process: its locmem backend fills the same outbox.
    assert [m.to for m in mail.outbox] == [["takahashi@example.jp"]]
    assert "/accounts/invitation/" in mail.outbox[0].body
    user = get_user_model().objects.get(email="takahashi@example.jp")
    assert not user.has_usable_password()
    assert FacilityMembership.objects.get(user=user, facility=clinic).role == MembershipRole.STAFF


def test_facility_admin_without_second_factor_must_enrol_first(site, page, shot):
    clinic = FacilityFactory(name="ひまわり訪問看護ステーション")
    make_admin(clinic, email="newadmin@example.jp")

    log_in(page, site, "newadmin@example.jp")
    expect(page).to_have_url(re.compile(rf"^{re.escape(site)}/2fa/setup/\?next=%2Fhome%2F$"))
    expect(page.get_by_role("heading", name="二要素認証の設定")).to_be_visible()
    expect(page.get_by_text("事務局と施設内管理者は、二要素認証の設定が必須です。")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    shot(page, "08-2fa-setup")

    # Not enrolled yet: the console sends back to enrolment.
    page.goto(f"{site}/console/")
    expect(page).to_have_url(re.compile(rf"^{re.escape(site)}/2fa/setup/\?next=%2Fconsole%2F$"))
    expect(page.get_by_role("heading", name="二要素認証の設定")).to_be_visible()

    # Wrong code first, then the one an authenticator app would show for the printed key.
    page.get_by_label("確認コード").fill("000000")
    page.get_by_role("button", name="設定を完了する").click()
    expect(page.get_by_text("確認コードが正しくありません。")).to_be_visible()
    # django-otp throttles the device for 1 s after a failure (OTP_TOTP_THROTTLE_FACTOR).
    page.wait_for_timeout(1_200)
    secret = page.locator(".help code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]+", secret)
    key = b32decode(secret + "=" * (-len(secret) % 8))
    code = f"{TOTP(key, step=30, t0=0, digits=6).token():06d}"
    page.get_by_label("確認コード").fill(code)
    page.get_by_role("button", name="設定を完了する").click()

    expect(page.get_by_role("heading", name="バックアップコード")).to_be_visible()
    codes = page.locator("ul.codes li")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[0-9a-f]{8}", c) for c in codes.all_inner_texts())
    shot(page, "09-backup-codes")

    page.get_by_role("link", name="保管しました。続ける").click()
    expect(page).to_have_url(f"{site}/console/{clinic.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("ひまわり訪問看護ステーション")


def test_five_wrong_passwords_lock_only_that_account(site, page, shot):
    clinic = FacilityFactory()
    make_staff(clinic, email="locked@example.jp")
    make_staff(clinic, email="colleague@example.jp", last_name="伊藤", first_name="翔")

    for attempt in range(1, 5):
        log_in(page, site, "locked@example.jp", password=f"wrong-password-{attempt}")
        expect(page.get_by_role("alert")).to_contain_text(
            "メールアドレスまたはパスワードが正しくありません。"
        )
    shot(page, "10-login-wrong-password")

    log_in(page, site, "locked@example.jp", password="wrong-password-5")
    expect(page.get_by_role("heading", name="ログインが一時的に制限されています")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("15分間ログインできません")
    shot(page, "11-lockout")

    # Even the right password is refused now.
    log_in(page, site, "locked@example.jp")
    expect(page.get_by_role("heading", name="ログインが一時的に制限されています")).to_be_visible()
    expect(page.get_by_role("link", name="患者一覧")).to_have_count(0)

    # Another account from the same browser (same address) is not affected.
    log_in(page, site, "colleague@example.jp")
    expect(page).to_have_url(f"{site}/home/")
    expect(page.get_by_role("heading", name="患者一覧")).to_be_visible()
    expect(page.get_by_text("担当している患者はいません。")).to_be_visible()
