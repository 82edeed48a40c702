"""Bad input from the issue: no error page, sensible results."""

import pytest

from search.models import SearchEntry
from search.query import search

from .conftest import write

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse_client(team, signed_in):
    write(team["nurse"], team["patient"], team["station"], "発熱あり（38.2℃）。咳も続く😷 \"NEAR\" OR 対応")
    return signed_in(team["nurse"])


def _ok(client, q):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def test_empty_query_shows_the_form_without_results(nurse_client):
    body = _ok(nurse_client, "")
    assert 'name="q"' in body and "<mark>" not in body
    assert "検索できる文字" not in body


def test_blank_or_symbol_only_query_asks_for_searchable_characters(nurse_client):
    for q in ("!!!", "()*\"", "😷"):
        assert "検索できる文字" in _ok(nurse_client, q)


def test_thousand_character_query_is_answered(nurse_client):
    body = _ok(nurse_client, "発熱" * 500)
    assert "一致するものは見つかりませんでした" in body


@pytest.mark.parametrize(
    "q",
    ['"発熱', "発熱*", "NEAR(発熱 咳)", "発熱 OR 咳", "(発熱)", "発熱 -咳", '咳 "NEAR"', "^発熱", "発熱:*"],
)
def test_fts_syntax_characters_are_plain_text(nurse_client, q):
    body = _ok(nurse_client, q)
    assert "<mark>発熱</mark>" in body or "<mark>咳</mark>" in body


def test_or_is_a_word_not_an_operator(team, nurse_client):
    write(team["nurse"], team["patient"], team["station"], "咳のみ")
    results = search(team["nurse"], "発熱 OR 咳")
    assert len(results.posts) == 1  # only the post that contains "or" too


@pytest.mark.parametrize(
    "q", ["'; DROP TABLE search_searchentry; --", "1' OR '1'='1", "%' OR 1=1 --", "\\x00", "発熱\x00", "bigrams : \"a\" OR unigrams:*"]
)
def test_sql_looking_input_does_nothing(nurse_client, q):
    _ok(nurse_client, q)
    assert SearchEntry.objects.filter(kind="post").count() == 1


def test_emoji_in_query_and_post(team, nurse_client):
    body = _ok(nurse_client, "咳も続く😷")
    assert "<mark>咳も続く😷</mark>" in body
    assert len(search(team["nurse"], "😷 発熱").posts) == 1


def test_half_width_and_full_width_variants_find_the_same_post(team, nurse_client):
    for q in ("38.2", "３８．２", "ﾊｯﾈﾂ", "発熱"):
        got = len(search(team["nurse"], q).posts)
        assert got == (0 if q == "ﾊｯﾈﾂ" else 1), q
