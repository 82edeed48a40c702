"""The same contract for every backend: the database one always, Elasticsearch when
``ELASTICSEARCH_URL`` is set and OpenSearch when ``OPENSEARCH_URL`` is set (each
skipped otherwise, with that reason)."""

import os

import pytest

from network import services as network_services
from network.models import PatientPage
from search.backends import get_backend, reset_backends
from search.backends.elasticsearch import build_query
from search.query import search
from search.text import Query
from timeline import services as timeline_services

from .conftest import write

pytestmark = pytest.mark.django_db

ES_URL = os.environ.get("ELASTICSEARCH_URL", "")
OS_URL = os.environ.get("OPENSEARCH_URL", "")
BACKENDS = [
    "database",
    pytest.param(
        "elasticsearch",
        marks=pytest.mark.skipif(
            not ES_URL,
            reason="ELASTICSEARCH_URL is not set: no Elasticsearch cluster to run the contract against",
        ),
    ),
    pytest.param(
        "opensearch",
        marks=pytest.mark.skipif(
            not OS_URL,
            reason="OPENSEARCH_URL is not set: no OpenSearch cluster to run the contract against",
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def backend(request, settings):
    settings.SEARCH_BACKEND = request.param
    settings.SEARCH_ELASTICSEARCH_URL = ES_URL
    settings.SEARCH_OPENSEARCH_URL = OS_URL
    settings.SEARCH_INDEX_NAME = f"mimamori-test-{os.getpid()}"
    reset_backends()
    chosen = get_backend()
    if request.param != "database":
        chosen.drop()  # left by an interrupted run
    chosen.clear()
    yield chosen
    if request.param != "database":
        chosen.drop()
    reset_backends()


def test_finds_a_two_character_word_inside_a_sentence(backend, team):
    write(team["nurse"], team["patient"], team["station"], "患者は昨日から発熱と咳があり")
    assert len(search(team["doctor"], "発熱", backend=backend).posts) == 1


def test_phrase_needs_adjacent_characters(backend, team):
    write(team["nurse"], team["patient"], team["station"], "熱が出て、発作はなし")
    assert search(team["doctor"], "発熱", backend=backend).posts == []
    assert len(search(team["doctor"], "熱", backend=backend).posts) == 1


def test_width_and_kana_variants(backend, team):
    write(team["nurse"], team["patient"], team["station"], "ﾛｷｿﾆﾝ服用、ＡＤＬ自立")
    for q in ("ロキソニン", "ろきそにん", "adl", "ＡＤＬ"):
        assert len(search(team["doctor"], q, backend=backend).posts) == 1, q


def test_outsider_and_ended_link_see_nothing(backend, team):
    write(team["nurse"], team["patient"], team["station"], "褥瘡の処置")
    assert search(team["outsider"], "褥瘡", backend=backend).posts == []
    network_services.unlink_facility(team["patient"], team["clinic"])
    assert search(team["doctor"], "褥瘡", backend=backend).posts == []


def test_deleted_post_and_deleted_patient_leave_nothing(backend, team):
    post = write(team["nurse"], team["patient"], team["station"], "褥瘡の処置")
    write(team["nurse"], team["patient"], team["station"], "発熱あり")
    timeline_services.delete_post(post, team["nurse"])
    assert search(team["doctor"], "褥瘡", backend=backend).posts == []
    # The patient was indexed by this backend (it is requested before the team is made).
    assert [p.title for p, _s, _u in search(team["doctor"], "ふくい", backend=backend).patients] == ["福井 トメ"]
    count_before = backend.count()
    PatientPage.objects.get(pk=team["patient"].pk).delete()
    assert backend.count() < count_before
    assert search(team["doctor"], "発熱", backend=backend).posts == []
    assert search(team["doctor"], "ふくい", backend=backend).patients == []


def test_elasticsearch_query_is_phrases_filtered_by_patients_and_facilities():
    """The query body the Elasticsearch backend sends (built with elasticsearch.dsl)."""
    body = build_query(Query("発熱 咳 36.8"), ["post"], patient_ids=[5, 7], facility_ids=[3], limit=50)
    bool_query = body["query"]["bool"]
    assert {"match_phrase": {"text.bigram": "発熱"}} in bool_query["must"]
    assert {"term": {"text.unigram": "咳"}} in bool_query["must"]
    assert {"match_phrase": {"text.bigram": "36"}} in bool_query["must"]
    assert {"term": {"text.unigram": "8"}} in bool_query["must"]
    filters = bool_query["filter"]
    assert {"terms": {"kind": ["post"]}} in filters
    scope = filters[1]["bool"]["should"][0]["bool"]["must"]  # inside the filter context
    assert {"terms": {"patient_id": [5, 7]}} in scope and {"terms": {"facility_ids": [3]}} in scope
    assert body["size"] == 50 and body["sort"] == [{"seq": {"order": "desc"}}]
