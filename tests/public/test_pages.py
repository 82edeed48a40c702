"""Public information pages: seeded from the guide, fees from data, the situations chooser."""

from django.test import Client

import pytest

from billing.models import FeeRule, KindGroup
from forms import definitions as d
from public.models import InformationPage
from tests.factories import FacilityFactory, join_team, make_patient, make_staff

pytestmark = pytest.mark.django_db

SLUGS = ["about", "security", "participants", "fees", "apply", "forms", "which-forms", "schedule", "contact"]


def test_pages_are_seeded_in_japanese_and_public():
    client = Client()
    for slug in SLUGS:
        page = InformationPage.objects.get(slug=slug)
        response = client.get(page.url)
        assert response.status_code == 200, slug
        html = response.content.decode()
        assert f"<h1>{page.title}</h1>" in html
        assert 'lang="ja"' in html
        assert 'aria-current="page"' in html


def test_fee_table_comes_from_the_fee_rules():
    html = Client().get("/fees/").content.decode()
    assert "3,000円/月" in html and "500円/月" in html and "無料" in html
    assert "<caption>" in html and 'scope="col"' in html
    FeeRule.objects.filter(kind_group=KindGroup.SERVICE, medical_net=False).update(monthly_fee=700)
    assert "700円/月" in Client().get("/fees/").content.decode()


def test_forms_page_lists_every_form_with_pdf_and_online_links():
    html = Client().get("/forms/").content.decode()
    for definition in d.FORMS:
        assert f"/forms/{definition.slug}/blank.pdf" in html
        assert f"/forms/{definition.slug}/online/" in html
        assert definition.title in html


def test_every_situation_shows_its_forms_marks_and_flow():
    client = Client()
    for situation in d.SITUATIONS:
        html = client.get(f"/which-forms/?situation={situation.key}").content.decode()
        assert situation.flow in html
        for number, mark in situation.forms:
            definition = d.BY_NUMBER[number]
            assert definition.name in html
            assert f"/forms/{definition.slug}/online/" in html
            assert mark in html
    assert "●" in html and "■" in html and "▲" in html


def test_new_registration_needs_forms_1_2_and_4_if_needed():
    situation = d.SITUATION_BY_KEY["new"]
    assert ("1", d.CREATE) in situation.forms
    assert ("2", d.CREATE) in situation.forms
    assert ("4", d.IF_NEEDED) in situation.forms
    assert d.SITUATION_BY_KEY["withdraw"].forms == (("7", d.CREATE),)
    assert d.SITUATION_BY_KEY["deregister"].forms == (("6", d.CREATE),)
    assert len(d.SITUATIONS) == 9


def test_no_public_page_shows_a_patient():
    facility = FacilityFactory()
    staff = make_staff(facility)
    patient = make_patient(name="秘密 患者名", kana="ひみつ かんじゃめい")
    join_team(patient, facility, staff)
    client = Client()
    for url in ["/", *[f"/{slug}/" for slug in SLUGS], "/which-forms/?situation=withdraw"]:
        html = client.get(url).content.decode()
        assert "秘密 患者名" not in html, url


def test_seeding_is_idempotent_and_keeps_edits():
    from cms.site_tree import ensure_site_tree

    page = InformationPage.objects.get(slug="contact")
    page.title = "連絡先"
    page.save()
    ensure_site_tree()
    assert InformationPage.objects.count() == len(SLUGS)
    assert InformationPage.objects.get(slug="contact").title == "連絡先"


def test_form_inputs_have_labels():
    import re

    html = Client().get("/forms/form-1/online/").content.decode()
    ids = re.findall(r'<input[^>]*\sid="([^"]+)"', html)
    assert ids
    for input_id in ids:
        assert f'for="{input_id}"' in html, input_id
