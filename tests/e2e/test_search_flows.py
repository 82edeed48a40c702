"""Search through a real browser on a phone: the header box, grouped results, the post on its timeline."""

import pytest
from playwright.sync_api import expect

from tests.factories import FacilityFactory, join_team, make_patient, make_staff
from timeline import services

from .test_timeline_flows import PHONE, assert_no_horizontal_overflow, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_nurse_searches_a_drug_in_half_width_kana_and_opens_the_post(site, page, shot):
    station = FacilityFactory(name="ひまわり訪問看護ステーション", kind="visiting_nurse")
    nurse = make_staff(station, last_name="田中", first_name="花子", email="nurse@example.jp")
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, station, nurse)
    target = services.create_post(
        nurse, patient, station, "看護師", {"body": "腰痛あり、ロキソニン錠60mgを頓用で使用しました。"}
    )
    for i in range(40):  # newer posts, so the found one is not on the first page
        services.create_post(nurse, patient, station, "看護師", {"body": f"定期訪問{i}回目、著変なし。"})

    log_in(page, site, "nurse@example.jp")
    page.get_by_role("searchbox").first.fill("ﾛｷｿﾆﾝ")
    page.get_by_role("searchbox").first.press("Enter")
    expect(page.get_by_role("heading", name="投稿")).to_be_visible()
    expect(page.locator(".search-results mark").first).to_have_text("ロキソニン")
    assert_no_horizontal_overflow(page)
    shot(page, "search-results-phone")

    page.locator(".search-post a").first.click()
    expect(page.locator(f"#post-{target.pk}")).to_be_visible()
    expect(page.locator(f"#post-{target.pk}")).to_contain_text("ロキソニン錠60mg")
    shot(page, "search-opened-post-phone")

    page.get_by_role("searchbox").first.fill("フクイ")
    page.get_by_role("searchbox").first.press("Enter")
    expect(page.get_by_role("heading", name="患者")).to_be_visible()
    page.get_by_role("link", name="福井 トメ").first.click()
    expect(page).to_have_url(f"{site}{patient.url}")
