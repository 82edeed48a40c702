"""The same contract for every backend: the database one always, Elasticsearch when
``ELASTICSEARCH_URL`` is set and OpenSearch when ``OPENSEARCH_URL`` is set (each
skipped otherwise, with that reason). The consent archive's contract too: through
the database, or through the scale-out backend's archive index."""

import os
from datetime import date

import pytest

from erasure.services import withdraw_consent
from forms import definitions as d
from forms.services import create_submission
from network import services as network_services
from network.models import PatientPage
from search import archive
from search.archive import ArchiveCriteria
from search.backends import get_backend, reset_backends
from search.backends.elasticsearch import build_query
from search.query import search
from search.text import Query
from tests.factories import (
    FacilityFactory,
    join_team,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)
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
        chosen.drop()  # both indexes, the archive's too, left by an interrupted run
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


# --- The consent archive ---------------------------------------------------------------------
# The archive answers the same through the database and through the archive index. Records
# reach the index after the commit, so the data is written with the commit callbacks run.

FORM_7 = {
    "facility_code": "1812345678",
    "facility_name": "みまもり在宅クリニック",
    "patient_name": "福井 トメ",
    "patient_name_kana": "ふくい とめ",
    "patient_birth_date": date(1936, 5, 1),
}


@pytest.fixture
def archived(backend, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clinic = FacilityFactory(name="みまもり在宅クリニック")
        pharmacy = FacilityFactory(name="さくら薬局", kind="pharmacy")
        nurse = make_staff(clinic)
        tome = make_patient("福井 トメ", "ふくい とめ", consent_date=date(2024, 4, 10))
        mitsu = make_patient("若狭 ミツ", "わかさ みつ", consent_date=date(2025, 6, 1))
        ichiro = make_patient("越前 一郎", "えちぜん いちろう", consent_date=date(2026, 1, 20))
        join_team(tome, clinic, nurse)
        join_team(mitsu, pharmacy)
        write(nurse, tome, clinic, "ふくいさんの褥瘡の処置")
        form7 = create_submission(d.BY_NUMBER["7"], FORM_7, facility=clinic, patient=tome)
        secretariat = make_secretariat()
        totp_device(secretariat)
    return {"backend": backend, "clinic": clinic, "pharmacy": pharmacy, "tome": tome, "mitsu": mitsu,
            "ichiro": ichiro, "form7": form7, "secretariat": secretariat}


def _found(world, **criteria):
    return [
        (r.source, r.form, r.name)
        for r in archive.search(world["secretariat"], ArchiveCriteria(**criteria))
    ]


def test_archive_finds_consent_and_withdrawal_by_kana_without_post_text(archived):
    records = archive.search(archived["secretariat"], ArchiveCriteria(text="フクイ"))
    assert [(r.source, r.form, r.name) for r in records] == [
        ("submissions", "7", "福井 トメ"),  # received today, newer than the 2024 consent
        ("patients", "5", "福井 トメ"),
    ]
    assert records[1].reference == archived["tome"].patient_id.hex[:8].upper()
    assert records[1].facilities == ["みまもり在宅クリニック"] and records[1].status_label == "登録中"
    assert "褥瘡" not in repr(records) and "処置" not in repr(records)
    assert _found(archived, text="ふくい とめ", form="5") == [("patients", "5", "福井 トメ")]
    assert _found(archived, text="ふくいとめ") == []  # each word an exact phrase


def test_archive_finds_by_reference_prefix_in_any_width_without_hyphens(archived):
    reference = archived["ichiro"].patient_id.hex[:8].upper()
    full_width = reference[:6].translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert _found(archived, reference=full_width) == [("patients", "5", "越前 一郎")]
    form7 = archived["form7"].reference  # MM-2026-000001
    assert _found(archived, reference=form7.replace("-", "")[:9].lower()) == [("submissions", "7", "福井 トメ")]
    assert _found(archived, reference=form7) == [("submissions", "7", "福井 トメ")]


def test_archive_filters_by_date_range(archived):
    assert _found(archived, date_from=date(2025, 1, 1), date_to=date(2025, 12, 31)) == [
        ("patients", "5", "若狭 ミツ")
    ]
    assert _found(archived, date_to=date(2024, 4, 10)) == [("patients", "5", "福井 トメ")]


def test_archive_filters_by_facility(archived):
    assert _found(archived, facility=archived["pharmacy"]) == [("patients", "5", "若狭 ミツ")]
    assert sorted(_found(archived, facility=archived["clinic"])) == [
        ("patients", "5", "福井 トメ"),
        ("submissions", "7", "福井 トメ"),
    ]


def test_archive_filters_by_status_and_form(archived):
    assert _found(archived, status="unpublished") == []
    assert sorted(name for _s, _f, name in _found(archived, status="registered")) == [
        "福井 トメ", "若狭 ミツ", "越前 一郎"
    ]
    assert _found(archived, status=archived["form7"].status) == [("submissions", "7", "福井 トメ")]
    assert _found(archived, status="no-such-status") == []
    assert _found(archived, form="7") == [("submissions", "7", "福井 トメ")]


def test_withdrawal_leaves_only_the_withdrawal_forms_record(archived, django_capture_on_commit_callbacks):
    backend = archived["backend"]
    before = backend.archive_count() if backend.has_archive_index else None
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_consent(archived["tome"], by=archived["secretariat"], reference=archived["form7"].reference)
    # The database keeps the form 7 submission (the withdrawal record, SPEC §5.10); so does the index.
    assert _found(archived, text="フクイ") == [("submissions", "7", "福井 トメ")]
    assert _found(archived, facility=archived["clinic"]) == [("submissions", "7", "福井 トメ")]
    if backend.has_archive_index:
        assert backend.archive_count() == before - 1
