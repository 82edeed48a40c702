"""The language switch in the footer, in a real browser on a phone-sized screen."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, FacilityFactory, join_team, make_patient, make_staff

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 360, "height": 740}


def no_horizontal_overflow(page):
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    ) <= 0


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US")
def test_nurse_switches_to_english_and_back(site, page, shot):
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    nurse = make_staff(clinic, last_name="佐藤", first_name="花子", email="nurse@example.jp")
    patient = make_patient("見守 花子", "みまもり はなこ", birth_date=date(1936, 4, 12))
    join_team(patient, clinic, nurse)

    # An English browser still starts in Japanese.
    page.goto(f"{site}/accounts/login/")
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()

    page.get_by_label("言語").select_option("en")
    page.get_by_role("button", name="切替").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert no_horizontal_overflow(page)
    shot(page, "lang-01-login-en")

    page.get_by_label("E-mail address (login ID)").fill("nurse@example.jp")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    expect(page.get_by_text("born Apr 12, 1936")).to_be_visible()

    page.get_by_role("link", name="見守 花子").click()
    page.get_by_text("+ Write a post").click()
    page.get_by_label("Text").fill("本日訪問。")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_text("Your post has been published.")).to_be_visible()
    expect(page.locator("time").first).to_have_text(re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d\d:\d\d$"))
    assert no_horizontal_overflow(page)
    shot(page, "lang-02-timeline-en")

    # Back to Japanese; the choice sticks across pages.
    page.get_by_label("Language").select_option("ja")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_text("投稿しました。")).to_have_count(0)
    expect(page.locator("time").first).to_have_text(re.compile(r"^\d{1,2}月\d{1,2}日 \d\d:\d\d$"))
    page.get_by_role("link", name="患者一覧").first.click()
    expect(page.get_by_role("heading", name="患者一覧")).to_be_visible()
    expect(page.get_by_text("1936年4月12日生")).to_be_visible()
