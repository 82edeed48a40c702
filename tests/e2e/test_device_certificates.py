"""A facility admin issues a device certificate in the browser; the device downloads it once."""

import re

from django.core import mail

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from playwright.sync_api import expect

from tests.conftest import current_code
from tests.factories import FacilityFactory, make_admin, make_staff, totp_device
from trust import ca
from trust.models import DeviceCertificate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_issues_and_the_device_downloads_once(site, page, browser, shot):
    ca.init_ca()
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    admin = make_admin(clinic, email="admin@example.jp")
    device = totp_device(admin)
    make_staff(clinic, last_name="佐藤", first_name="花子", job_title="看護師")

    page.goto(f"{site}/accounts/login/")
    page.get_by_label("メールアドレス（ログインID）").fill(admin.email)
    page.get_by_label("パスワード", exact=True).fill("Test-password-2026")
    page.get_by_role("button", name="ログイン").click()
    page.get_by_label("確認コード").fill(current_code(device))
    page.get_by_role("button", name="確認").click()
    expect(page).to_have_url(f"{site}/home/")

    page.get_by_role("link", name="端末証明書").click()
    expect(page.get_by_text("二要素認証が端末確認の代わりになります")).to_be_visible()
    page.get_by_label("利用者").select_option(label="佐藤 花子（看護師） / みまもり在宅クリニック")
    page.get_by_label("端末名").fill("訪問用タブレット1")
    page.get_by_role("button", name="発行する").click()
    expect(page.get_by_role("heading", name="端末証明書を発行しました")).to_be_visible()
    password = page.locator("#bundle-password").inner_text().strip()
    link = page.locator("#download-link").inner_text().strip()
    shot(page, "trust-01-issued")
    assert re.fullmatch(r"[A-Z0-9]{5}(-[A-Z0-9]{5}){3}", password)
    assert len(mail.outbox) == 1 and password not in mail.outbox[0].body

    # The new device: another browser context, not signed in.
    context = browser.new_context(locale="ja-JP")
    tablet = context.new_page()
    path = re.sub(r"^https?://[^/]+", "", link)
    tablet.goto(site + path)
    with tablet.expect_download() as info:
        tablet.get_by_role("button", name="受け取る").click()
    bundle = open(info.value.path(), "rb").read()
    _key, cert, _extra = pkcs12.load_key_and_certificates(bundle, password.encode())
    assert cert.serial_number == int(DeviceCertificate.objects.get().serial_number)

    tablet.goto(site + path)
    tablet.get_by_role("button", name="受け取る").click()
    expect(tablet.get_by_text("すでに受け取られています")).to_be_visible()
    shot(tablet, "trust-02-second-download")
    context.close()

    page.goto(f"{site}/trust/devices/")
    expect(page.get_by_role("cell", name="訪問用タブレット1")).to_be_visible()
    expect(page.get_by_text("有効", exact=True)).to_be_visible()
