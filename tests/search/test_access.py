"""Search starts from the access policy: one test per scenario, through real logins."""

from django.utils import timezone

import pytest

from network import services as network_services
from search.query import search
from tests.factories import make_family, make_secretariat, totp_device
from timeline import services as timeline_services

from .conftest import write

pytestmark = pytest.mark.django_db


def _get(client, q):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def test_team_member_finds_a_post_with_a_highlighted_snippet_and_a_link(team, signed_in):
    post = write(team["nurse"], team["patient"], team["station"], "仙骨部の褥瘡は改善傾向。")
    body = _get(signed_in(team["doctor"]), "褥瘡")
    assert "仙骨部の<mark>褥瘡</mark>は改善傾向。" in body
    assert f"?before={post.pk + 1}#post-{post.pk}" in body
    assert "投稿" in body and "福井 トメ" in body


def test_link_in_results_opens_the_post_on_its_timeline(team, signed_in):
    post = write(team["nurse"], team["patient"], team["station"], "褥瘡の処置をしました。")
    client = signed_in(team["doctor"])
    page = client.get(f"{team['patient'].url}?before={post.pk + 1}")
    assert page.status_code == 200
    assert f'id="post-{post.pk}"' in page.content.decode()


def test_outsider_finds_nothing_of_another_team(team, signed_in):
    write(team["nurse"], team["patient"], team["station"], "褥瘡の処置をしました。")
    body = _get(signed_in(team["outsider"]), "褥瘡")
    assert "処置をしました" not in body and "<mark>" not in body
    body = _get(signed_in(team["outsider"]), "福井")
    assert 'id="sr-patients"' not in body and "トメ" not in body


def test_member_whose_team_link_ended_finds_nothing(team, signed_in):
    write(team["nurse"], team["patient"], team["station"], "褥瘡の処置をしました。")
    network_services.unlink_facility(team["patient"], team["clinic"])
    results = search(team["doctor"], "褥瘡")
    assert results.posts == [] and results.patients == []


def test_posts_of_a_deregistered_facility_member_are_gone_for_them(team):
    write(team["nurse"], team["patient"], team["station"], "褥瘡の処置をしました。")
    network_services.deregister_facility(team["station"])
    assert search(team["nurse"], "褥瘡").posts == []
    assert len(search(team["doctor"], "褥瘡").posts) == 1


def test_deleted_post_never_appears(team):
    post = write(team["nurse"], team["patient"], team["station"], "褥瘡の処置をしました。")
    timeline_services.delete_post(post, team["nurse"])
    assert search(team["doctor"], "褥瘡").posts == []


def test_edit_replaces_the_indexed_text(team):
    post = write(team["nurse"], team["patient"], team["station"], "発熱あり。")
    timeline_services.edit_post(post, team["nurse"], {"body": "解熱しました。"}, post.version)
    assert search(team["doctor"], "発熱").posts == []
    assert [r.post.pk for r in search(team["doctor"], "解熱").posts] == [post.pk]


def test_secretariat_never_gets_post_text_but_finds_patients_by_kana(team, signed_in):
    write(team["nurse"], team["patient"], team["station"], "ふくいさんの褥瘡の処置。")
    secretariat = make_secretariat()
    totp_device(secretariat)
    client = signed_in(secretariat)
    body = _get(client, "ふくい")
    assert "福井 トメ" in body
    assert "褥瘡" not in body and "処置" not in body
    assert search(secretariat, "褥瘡").posts == []
    assert search(secretariat, "ふくい").posts == []


def test_patient_is_found_by_katakana_and_by_half_width_kana(team):
    for q in ("フクイ", "ﾌｸｲ", "ふくい", "福井"):
        names = [p.title for p, _snippet, _url in search(team["nurse"], q).patients]
        assert names == ["福井 トメ"], q


def test_family_find_only_their_own_patient(team):
    family = make_family(team["patient"])
    write(team["outsider"], team["other_patient"], team["other"], "わかささんの発熱。")
    write(team["nurse"], team["patient"], team["station"], "ふくいさんの発熱。")
    results = search(family, "発熱")
    assert [r.post.patient_id for r in results.posts] == [team["patient"].pk]


def test_anonymous_gets_public_pages_only(team, client):
    write(team["nurse"], team["patient"], team["station"], "みまもりSNSの褥瘡。")
    from cms.models import HomePage

    home = HomePage.objects.get()
    home.lead = "在宅医療と介護の連携のためのみまもりSNSです。"
    home.save_revision().publish()
    body = client.get("/search/", {"q": "介護の連携"}).content.decode()
    assert "ページ" in body and "<mark>介護の連携</mark>" in body
    body = client.get("/search/", {"q": "褥瘡"}).content.decode()
    assert "<mark>" not in body and 'id="sr-posts"' not in body and "みまもりSNSの" not in body


def test_private_tree_pages_are_never_public_results(team):
    from network.models import NetworkRootPage, PatientPage
    from search.query import public_pages

    ids = set(public_pages().values_list("pk", flat=True))
    assert not ids & set(PatientPage.objects.values_list("pk", flat=True))
    assert not ids & set(NetworkRootPage.objects.values_list("pk", flat=True))
    assert search(None, "福井").patients == []


def test_snippet_escapes_html_before_marking(team):
    write(team["nurse"], team["patient"], team["station"], "<script>alert(1)</script> 褥瘡 & 発赤")
    snippet = str(search(team["doctor"], "褥瘡").posts[0].snippet)
    assert "<script>" not in snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>褥瘡</mark> &amp; 発赤" in snippet


def test_search_box_is_in_the_signed_in_header(team, signed_in):
    body = signed_in(team["nurse"]).get("/home/").content.decode()
    assert 'action="/search/"' in body and 'name="q"' in body


def test_searching_is_audited_without_the_words(team, signed_in):
    from audit.models import AuditEntry

    write(team["nurse"], team["patient"], team["station"], "褥瘡の処置。")
    _get(signed_in(team["doctor"]), "褥瘡")
    entry = AuditEntry.objects.filter(action="search.query").get()
    assert entry.actor_id == team["doctor"].pk
    assert entry.detail["patients_shown"] == 1 and entry.detail["posts_shown"] == 1
    assert entry.detail["job_title"] == "医師"  # who read, by job (the audit log keeps it)
    assert "褥瘡" not in str(entry.detail)
    assert entry.created_at <= timezone.now()


def test_the_policy_is_asked_once_per_search_and_its_answer_scopes_every_statement(team):
    """The policy's joins run in one statement; the others get its ids (cheap to plan)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    write(team["nurse"], team["patient"], team["station"], "褥瘡の処置をしました。")
    write(team["outsider"], team["other_patient"], team["other"], "褥瘡あり")
    with CaptureQueriesContext(connection) as queries:
        results = search(team["doctor"], "褥瘡")
    assert [r.post.patient_id for r in results.posts] == [team["patient"].pk]
    policy = [q["sql"] for q in queries.captured_queries if "network_memberlink" in q["sql"]]
    # visible_patients, read once; the other statements get its ids.
    assert len(policy) == 1, policy


@pytest.mark.parametrize("limit", [0, 1])
def test_a_scope_too_large_for_an_id_list_stays_the_policy_subquery(team, monkeypatch, limit):
    """Past ID_LIST_LIMIT (the secretariat of a large region) the answer is the same."""
    from search import query as search_query

    monkeypatch.setattr(search_query, "ID_LIST_LIMIT", limit)
    write(team["nurse"], team["patient"], team["station"], "褥瘡の処置をしました。")
    write(team["outsider"], team["other_patient"], team["other"], "褥瘡あり")
    assert [r.post.patient_id for r in search(team["doctor"], "褥瘡").posts] == [team["patient"].pk]
    assert [p.pk for p, _s, _u in search(team["doctor"], "福井").patients] == [team["patient"].pk]
    assert search(team["outsider"], "福井").patients == []


def test_a_member_of_no_team_searches_without_error(team):
    from tests.factories import FacilityFactory, make_staff

    loner = make_staff(FacilityFactory())
    results = search(loner, "褥瘡")
    assert results.posts == [] and results.patients == []
