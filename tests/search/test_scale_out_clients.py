"""Elasticsearch and OpenSearch behind one backend: which client each URL setting
selects, and the requests each client library sends (captured, see recording.py)."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

import pytest

from search.backends import get_backend, reset_backends
from search.backends.elasticsearch import (
    ARCHIVE_MAPPINGS,
    INDEX_SETTINGS,
    MAPPINGS,
    ElasticsearchClient,
    OpenSearchClient,
)
from search.documents import Doc
from search.models import EntryKind
from search.text import Query

from .recording import Recorder, recording_backend

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ["elasticsearch", "opensearch"]


@pytest.fixture
def fresh_backends():
    reset_backends()
    yield
    reset_backends()


@pytest.mark.parametrize(
    ("engine", "setting", "adapter", "library_class"),
    [
        ("elasticsearch", "SEARCH_ELASTICSEARCH_URL", ElasticsearchClient, "elasticsearch.Elasticsearch"),
        ("opensearch", "SEARCH_OPENSEARCH_URL", OpenSearchClient, "opensearchpy.OpenSearch"),
    ],
)
def test_each_url_setting_selects_its_client_library(settings, fresh_backends, engine, setting, adapter, library_class):
    setattr(settings, setting, "http://search.invalid:9200")
    settings.SEARCH_INDEX_NAME = "mimamori-x"
    backend = get_backend(engine)  # builds the client; nothing is sent yet
    assert backend.name == engine
    assert type(backend.client) is adapter
    client = backend.client.client
    assert f"{type(client).__module__.split('.')[0]}.{type(client).__name__}" == library_class
    assert (backend.index, backend.archive_index) == ("mimamori-x", "mimamori-x-archive")


@pytest.mark.parametrize(("engine", "variable"), [("elasticsearch", "ELASTICSEARCH_URL"), ("opensearch", "OPENSEARCH_URL")])
def test_a_missing_url_is_named(settings, fresh_backends, engine, variable):
    settings.SEARCH_ELASTICSEARCH_URL = ""
    settings.SEARCH_OPENSEARCH_URL = ""
    with pytest.raises(ImproperlyConfigured, match=f"^{variable} is not set$"):
        get_backend(engine)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "database"),
        ({"ELASTICSEARCH_URL": "http://es:9200"}, "elasticsearch"),
        ({"OPENSEARCH_URL": "http://os:9200"}, "opensearch"),
        ({"ELASTICSEARCH_URL": "http://es:9200", "OPENSEARCH_URL": "http://os:9200"}, "opensearch"),
        ({"OPENSEARCH_URL": "http://os:9200", "SEARCH_BACKEND": "database"}, "database"),
    ],
)
def test_the_settings_choose_the_backend_from_the_environment(environment, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "OPENSEARCH_URL", "SEARCH_BACKEND")}
    env.update(environment)
    out = subprocess.run(  # noqa: S603 (the test's own interpreter and code)
        [sys.executable, "-c", "import cms.settings.base as s; print(s.SEARCH_BACKEND, s.SEARCH_OPENSEARCH_URL)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert out[0] == expected
    assert (out[1:] or [""])[0] == environment.get("OPENSEARCH_URL", "")


@pytest.mark.parametrize("engine", ENGINES)
def test_both_indexes_are_created_with_kuromoji_and_ngram_analysis(engine):
    recorder = Recorder()
    recorder.queue("HEAD", "/mimamori-search", status=404)
    recorder.queue("HEAD", "/mimamori-search-archive", status=404)
    backend = recording_backend(engine, recorder)
    backend.count()
    backend.archive_count()
    created = {r.path: r.body for r in recorder.requests if r.method == "PUT"}
    # opensearch-py is given body={"settings", "mappings"}, elasticsearch-py settings=/mappings=:
    # the same request reaches the cluster.
    assert created == {
        "/mimamori-search": {"settings": INDEX_SETTINGS, "mappings": MAPPINGS},
        "/mimamori-search-archive": {"settings": INDEX_SETTINGS, "mappings": ARCHIVE_MAPPINGS},
    }
    analyzer = INDEX_SETTINGS["analysis"]["analyzer"]
    assert analyzer["ja_kuromoji"]["tokenizer"] == "kuromoji_tokenizer"
    assert ARCHIVE_MAPPINGS["properties"]["text"]["fields"] == MAPPINGS["properties"]["text"]["fields"]


@pytest.mark.parametrize("engine", ENGINES)
def test_writes_go_through_the_engines_own_bulk_helper_and_by_query_calls(engine):
    recorder = Recorder()
    backend = recording_backend(engine, recorder)
    backend.add_many([Doc(kind=EntryKind.PAGE, text="お知らせ", page_id=4)])
    backend.delete(EntryKind.PAGE, 4)
    backend.archive_put("patients-9", {"source": "patients", "form": "5"})
    backend.archive_delete("patients-9")
    bulk = recorder.to("PUT" if engine == "elasticsearch" else "POST", "/_bulk")
    assert len(bulk) == 1 and bulk[0].params == {"refresh": "wait_for"}
    action, source = bulk[0].body
    assert action == {"index": {"_index": "mimamori-search", "_id": "page-4-0"}}
    assert source["text"] == "お知らせ" and source["page_id"] == 4 and source["kind"] == "page"
    (by_query,) = recorder.to("POST", "/mimamori-search/_delete_by_query")
    assert by_query.body == {"query": {"term": {"page_id": 4}}}
    assert by_query.params == {"refresh": "true", "conflicts": "proceed"}
    (put,) = recorder.to("PUT", "/mimamori-search-archive/_doc/patients-9")
    assert put.body == {"source": "patients", "form": "5"} and put.params == {"refresh": "wait_for"}
    assert recorder.to("DELETE", "/mimamori-search-archive/_doc/patients-9")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_team_change_updates_the_facility_ids_by_query(engine, db):
    recorder = Recorder()
    recording_backend(engine, recorder).update_team(12345)
    (request,) = recorder.to("POST", "/mimamori-search/_update_by_query")
    body = dict(request.body)
    # elasticsearch-py 9 moves "conflicts" into the body, opensearch-py keeps it in the query string.
    assert body.pop("conflicts", None) or request.params.pop("conflicts") == "proceed"
    assert body == {
        "query": {"term": {"patient_id": 12345}},
        "script": {"source": "ctx._source.facility_ids = params.ids", "params": {"ids": []}},
    }
    assert request.params == {"refresh": "true"}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_search_sends_the_elasticsearch_dsl_body_unchanged(engine, db):
    from network.models import PatientPage

    recorder = Recorder()
    recorder.queue(
        "POST",
        "/mimamori-search/_search",
        {"hits": {"hits": [{"_id": "patient-1-0", "_source": {"kind": "patient", "text": "ふくい とめ", "patient_id": 1}}]}},
    )
    backend = recording_backend(engine, recorder)
    from tests.factories import make_patient

    make_patient("福井 トメ", "ふくい とめ")
    hits = backend.search(Query("ふくい"), ["patient"], patients=PatientPage.objects.all(), facilities=[3])
    assert [(h.kind, h.patient_id, h.text) for h in hits] == [("patient", 1, "ふくい とめ")]
    (request,) = recorder.to("POST", "/mimamori-search/_search")
    must = request.body["query"]["bool"]["must"]
    assert must == [{"match_phrase": {"text.bigram": "ふくい"}}]
    assert request.body["sort"] == [{"seq": {"order": "desc"}}]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_deleted_team_link_updates_the_facility_ids_too(engine, db, settings, fresh_backends):
    """Ending a link saves it (post_save); deleting it must not leave its facility's id behind."""
    from network.models import TeamLink
    from search import backends
    from tests.factories import FacilityFactory, join_team, make_patient

    settings.SEARCH_BACKEND = engine
    recorder = Recorder()
    backends._instances[engine] = recording_backend(engine, recorder)
    patient = make_patient()
    kept, dropped = FacilityFactory(), FacilityFactory()
    join_team(patient, kept)
    join_team(patient, dropped)
    recorder.requests.clear()
    TeamLink.objects.get(patient=patient, facility=dropped).delete()
    (request,) = recorder.to("POST", "/mimamori-search/_update_by_query")
    assert request.body["query"] == {"term": {"patient_id": patient.pk}}
    assert request.body["script"]["params"] == {"ids": [kept.pk]}
