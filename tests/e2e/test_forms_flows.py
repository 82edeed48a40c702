"""Browser: fill form 1 online, get the reference number, download the filled PDF."""

import io

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.e2e


def test_fill_form_1_online_and_download_the_pdf(site, page, shot):
    page.goto(f"{site}/forms/")
    page.locator('a[href="/forms/form-1/online/"]').first.click()
    page.get_by_label("訪問看護ステーション").check()
    page.get_by_label("事業所番号（10桁）").fill("1812345678")
    page.get_by_label("施設名称", exact=True).fill("みまもり訪問看護ステーション")
    page.get_by_label("施設名称（フリガナ）").fill("ミマモリホウモンカンゴ")
    page.get_by_label("郵便番号").fill("910-0001")
    page.get_by_label("所在地").fill("福井市大願寺3-4-10")
    page.get_by_label("電話番号", exact=True).fill("0776-24-0387")
    page.get_by_label("代表者氏名").fill("福井 花子")
    page.get_by_label("参加していない").check()
    page.get_by_label("施設内管理者氏名", exact=True).fill("福井 太郎")
    page.get_by_label("施設内管理者氏名（フリガナ）").fill("フクイ タロウ")
    page.get_by_label("管理画面ログイン用メールアドレス", exact=True).fill("admin@station.example.jp")
    page.get_by_label("管理画面ログイン用メールアドレス（確認のため再入力）").fill("admin@station.example.jp")
    page.get_by_label("VPN申請数").fill("2")
    page.get_by_label("担当者氏名").fill("越前 次郎")
    page.get_by_label("担当者メールアドレス", exact=True).fill("contact@station.example.jp")
    # a mistyped confirmation is caught first
    page.get_by_label("担当者メールアドレス（確認のため再入力）").fill("contact@station.example.com")
    page.get_by_role("button", name="送信して受付番号を受け取る").click()
    assert page.get_by_text("メールアドレスが一致しません").is_visible()
    page.get_by_label("担当者メールアドレス（確認のため再入力）").fill("contact@station.example.jp")
    page.get_by_role("button", name="送信して受付番号を受け取る").click()
    heading = page.get_by_role("heading", level=1)
    assert "受付番号 MM-" in heading.inner_text()
    reference = heading.inner_text().replace("受付番号", "").strip()
    shot(page, "forms-application")
    with page.expect_download() as info:
        page.get_by_role("link", name="記入済みのPDFをダウンロード").click()
    data = open(info.value.path(), "rb").read()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\n", "")
    assert "「みまもりSNS」利用申込書（事業所用）" in text
    assert "みまもり訪問看護ステーション" in text
    assert "admin@station.example.jp" in text
    assert reference in text


def test_date_inputs_show_the_japanese_era(site, page):
    page.goto(f"{site}/forms/form-6/online/")
    page.get_by_label("解除希望日").fill("2027-03-31")
    assert page.locator("output.wareki").first.inner_text() == "令和9年3月31日"


def test_situations_chooser_by_keyboard(site, page):
    page.goto(f"{site}/which-forms/")
    page.get_by_label("事業所として利用を解除する").check()
    page.get_by_role("button", name="必要な様式を表示").press("Enter")
    result = page.locator("#result")
    assert "様式6" in result.inner_text()
    assert "施設⇒事務局" in result.inner_text()


PUBLIC_PATHS = ["/", "/about/", "/fees/", "/forms/", "/which-forms/?situation=new", "/forms/form-1/online/", "/forms/ledger/online/"]


@pytest.mark.parametrize("text_size", ["100%", "200%"])
def test_public_pages_fit_a_phone_screen_also_with_large_text(site, page, shot, text_size):
    page.set_viewport_size({"width": 360, "height": 740})
    for path in PUBLIC_PATHS:
        page.goto(f"{site}{path}")
        # Through the CSSOM: the Content-Security-Policy refuses injected <style> elements.
        page.evaluate("size => { document.documentElement.style.fontSize = size; }", text_size)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (path, text_size, overflow)
        assert page.locator("h1").count() == 1, path
    shot(page, f"ledger-phone-{text_size.rstrip('%')}")
