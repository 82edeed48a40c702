"""The consent archive in the scale-out backend's archive index, without a cluster:
the query body built with elasticsearch.dsl, the record documents, and the requests
that keep the index current (captured from the real client libraries, see recording.py).
What a cluster answers is checked by the live contract tests (test_backend_contract.py)."""

from datetime import date
from io import StringIO

from django.core.management import call_command

import pytest

from erasure.services import withdraw_consent
from forms import definitions as d
from forms import review
from forms.archive import SubmissionArchiveSource
from forms.services import create_submission
from search import archive, backends
from search.archive import ArchiveCriteria, PatientRegistrationSource, build_index_query
from search.backends.elasticsearch import ARCHIVE_MAPPINGS
from tests.factories import (
    FacilityFactory,
    join_team,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)

from .conftest import write
from .recording import Recorder, recording_backend

pytestmark = pytest.mark.django_db

FORM_7 = {
    "facility_code": "1812345678",
    "facility_name": "みまもり在宅クリニック",
    "patient_name": "敦賀 ハナ",
    "patient_name_kana": "つるが はな",
    "patient_birth_date": date(1936, 5, 1),
}
ARCHIVE = "/mimamori-search-archive"


def _filters(body):
    return body["query"]["bool"]["filter"]


# --- The query body ------------------------------------------------------------------------


def test_no_filter_asks_only_for_the_sources_newest_first():
    body = build_index_query(ArchiveCriteria(), ["patients", "submissions"], size=200)
    assert body["query"] == {"bool": {"filter": [{"terms": {"source": ["patients", "submissions"]}}]}}
    assert body["sort"] == [{"date": {"order": "desc", "missing": "_last"}}, {"reference": {"order": "desc"}}]
    assert (body["from"], body["size"]) == (0, 200)


def test_text_becomes_phrases_of_bigrams_and_unigram_terms_of_the_normalised_words():
    # Half-width katakana, full-width letters: normalised (NFKC, kana folded) as the index is.
    body = build_index_query(ArchiveCriteria(text="ﾌｸｲ　ﾄ ＭＭ-2026"), ["submissions"], size=50)
    assert body["query"]["bool"]["must"] == [
        {"match_phrase": {"text.bigram": "ふくい"}},
        {"term": {"text.unigram": "と"}},
        {"match_phrase": {"text.bigram": "mm"}},
        {"match_phrase": {"text.bigram": "2026"}},
    ]


def test_date_range_is_inclusive_on_the_record_date():
    body = build_index_query(
        ArchiveCriteria(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31)), ["patients"], size=10
    )
    assert {"range": {"date": {"gte": "2025-01-01", "lte": "2025-12-31"}}} in _filters(body)
    only_from = build_index_query(ArchiveCriteria(date_from=date(2025, 1, 1)), ["patients"], size=10)
    assert {"range": {"date": {"gte": "2025-01-01"}}} in _filters(only_from)


def test_reference_is_a_prefix_of_the_normalised_reference_without_hyphens():
    body = build_index_query(ArchiveCriteria(reference="ＭＭ－２０２６-00"), ["submissions"], size=10)
    assert {"prefix": {"reference_key": "mm202600"}} in _filters(body)
    # Only hyphens: no prefix at all (every reference starts with "").
    assert not any("prefix" in f for f in _filters(build_index_query(ArchiveCriteria(reference="-"), ["x"], size=1)))


def test_form_status_and_facility_are_terms():
    facility = FacilityFactory()
    body = build_index_query(
        ArchiveCriteria(form="7", status="received", facility=facility), ["submissions"], size=10
    )
    assert _filters(body) == [
        {"terms": {"source": ["submissions"]}},
        {"terms": {"form": ["7"]}},
        {"terms": {"status": ["received"]}},
        {"terms": {"facility_ids": [facility.pk]}},
    ]


def test_pages_beyond_the_first_ask_from_an_offset():
    body = build_index_query(ArchiveCriteria(), ["patients"], size=200, offset=400)
    assert (body["from"], body["size"]) == (400, 200)


# --- The documents -------------------------------------------------------------------------


def test_a_patient_record_holds_name_kana_reference_date_status_and_team_never_post_text():
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    nurse = make_staff(clinic)
    patient = make_patient("福井 トメ", "ふくい とめ", consent_date=date(2024, 4, 10))
    join_team(patient, clinic, nurse)
    write(nurse, patient, clinic, "褥瘡の処置。ロキソニン60mg")
    document = PatientRegistrationSource().document_for(patient)
    body = document.body()
    reference = patient.patient_id.hex[:8].upper()
    assert document.key == f"patients-{patient.pk}"
    assert body == {
        "source": "patients",
        "form": "5",
        "reference": reference,
        "reference_key": reference.lower(),
        "name": "福井 トメ",
        "name_kana": "ふくい とめ",
        "date": "2024-04-10",
        "status": "registered",
        "facility_ids": [clinic.pk],
        "facilities": ["みまもり在宅クリニック"],
        "url": f"/admin/pages/{patient.pk}/edit/",
        "text": f"福井 とめ\nふくい とめ\n{reference.lower()}",
    }
    assert set(body) == set(ARCHIVE_MAPPINGS["properties"])  # the strict mapping takes nothing else
    flat = repr(body)
    assert "褥瘡" not in flat and "ろきそにん" not in flat and "ロキソニン" not in flat


def test_a_submission_record_holds_the_forms_administrative_data():
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    submission = create_submission(d.BY_NUMBER["7"], FORM_7, facility=clinic)
    body = SubmissionArchiveSource().document_for(submission).body()
    assert body["source"] == "submissions" and body["form"] == "7"
    assert body["reference"] == submission.reference
    assert body["reference_key"] == submission.reference.lower().replace("-", "")
    assert (body["name"], body["name_kana"]) == ("敦賀 ハナ", "つるが はな")
    assert body["status"] == submission.status and body["facility_ids"] == [clinic.pk]
    assert body["text"] == f"敦賀 はな\nつるが はな\n{submission.reference.lower()}"
    assert "1936" not in repr(body)  # the birth date in the form's data is not a search field
    assert set(body) == set(ARCHIVE_MAPPINGS["properties"])


def test_both_sources_give_every_record_for_indexing():
    make_patient("福井 トメ", "ふくい とめ")
    create_submission(d.BY_NUMBER["7"], FORM_7, facility=FacilityFactory())
    assert [doc.record.name for doc in PatientRegistrationSource().documents()] == ["福井 トメ"]
    assert [doc.record.name for doc in SubmissionArchiveSource().documents()] == ["敦賀 ハナ"]


# --- With a scale-out backend configured (requests captured) -------------------------------


@pytest.fixture(params=["elasticsearch", "opensearch"])
def scale_out(request, settings, monkeypatch):
    """The configured backend is the scale-out one, its client library over a recorder."""
    recorder = Recorder()
    settings.SEARCH_BACKEND = request.param
    backends.reset_backends()
    monkeypatch.setitem(backends._instances, request.param, recording_backend(request.param, recorder))
    yield recorder
    backends.reset_backends()


@pytest.fixture
def secretariat():
    user = make_secretariat()
    totp_device(user)
    return user


def _puts(recorder, key):
    return [r.body for r in recorder.to("PUT", f"{ARCHIVE}/_doc/{key}")]


def test_a_new_submission_is_indexed_after_the_commit_and_follows_its_status(
    scale_out, secretariat, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        submission = create_submission(d.BY_NUMBER["7"], FORM_7, facility=FacilityFactory())
    key = f"submissions-{submission.pk}"
    assert _puts(scale_out, key) == []  # nothing reaches the index before the commit
    for callback in pending:
        callback()
    assert [body["status"] for body in _puts(scale_out, key)][-1] == "awaiting_signed"
    with django_capture_on_commit_callbacks(execute=True):
        review.transition(submission, "received", secretariat)
    assert _puts(scale_out, key)[-1]["status"] == "received"


def test_a_patient_and_its_team_are_indexed_and_withdrawal_deletes_the_record(
    scale_out, secretariat, django_capture_on_commit_callbacks
):
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    with django_capture_on_commit_callbacks(execute=True):
        patient = make_patient("福井 トメ", "ふくい とめ")
        join_team(patient, clinic)
        form7 = create_submission(d.BY_NUMBER["7"], FORM_7 | {"patient_name": "福井 トメ"}, patient=patient)
    key = f"patients-{patient.pk}"
    assert _puts(scale_out, key)[-1]["facilities"] == ["みまもり在宅クリニック"]
    assert _puts(scale_out, key)[-1]["facility_ids"] == [clinic.pk]
    scale_out.requests.clear()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_consent(patient, by=secretariat, reference=form7.reference)
    assert scale_out.to("DELETE", f"{ARCHIVE}/_doc/{key}")
    assert _puts(scale_out, key) == []
    # The withdrawal form's own record is not deleted (the database keeps it too).
    assert not scale_out.to("DELETE", f"{ARCHIVE}/_doc/submissions-{form7.pk}")


def test_the_purge_deletes_through_the_orm_and_the_record_goes_with_the_patient(
    scale_out, secretariat, django_capture_on_commit_callbacks
):
    """No team link to follow: the patient's own post_delete is what removes the record."""
    with django_capture_on_commit_callbacks(execute=True):
        patient = make_patient("若狭 ミツ", "わかさ みつ")
    with django_capture_on_commit_callbacks(execute=False) as pending:
        withdraw_consent(patient, by=secretariat)
    assert not scale_out.to("DELETE", f"{ARCHIVE}/_doc/patients-{patient.pk}")  # not before the commit
    for callback in pending:
        callback()
    assert scale_out.to("DELETE", f"{ARCHIVE}/_doc/patients-{patient.pk}")


def test_a_row_saved_many_times_in_one_transaction_is_sent_once(scale_out, django_capture_on_commit_callbacks):
    clinic = FacilityFactory()
    with django_capture_on_commit_callbacks(execute=True):
        patient = make_patient("福井 トメ", "ふくい とめ")  # created, revised, published: three saves
        join_team(patient, clinic)
    assert len(_puts(scale_out, f"patients-{patient.pk}")) == 1


def test_a_rolled_back_change_sends_nothing_and_the_next_one_is_sent(scale_out, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        patient = make_patient("福井 トメ", "ふくい とめ")
    key = f"patients-{patient.pk}"
    scale_out.requests.clear()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                patient.consent_date = date(2020, 1, 1)
                patient.save()
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert _puts(scale_out, key) == []
    with django_capture_on_commit_callbacks(execute=True):
        patient.consent_date = date(2021, 2, 3)
        patient.save()
    assert [body["date"] for body in _puts(scale_out, key)] == ["2021-02-03"]


def test_renaming_a_facility_reindexes_the_records_that_name_it(scale_out, django_capture_on_commit_callbacks):
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    with django_capture_on_commit_callbacks(execute=True):
        submission = create_submission(d.BY_NUMBER["7"], FORM_7, facility=clinic)
    key = f"submissions-{submission.pk}"
    scale_out.queue("POST", f"{ARCHIVE}/_search", {"hits": {"hits": [{"_id": key, "_source": {"source": "submissions"}}]}})
    clinic.name = "みまもり在宅クリニック本院"
    with django_capture_on_commit_callbacks(execute=True):
        clinic.save()
    lookup = [r.body for r in scale_out.to("POST", f"{ARCHIVE}/_search")][-1]
    assert lookup["query"] == {"bool": {"filter": [{"terms": {"facility_ids": [clinic.pk]}}]}}
    assert _puts(scale_out, key)[-1]["facilities"] == ["みまもり在宅クリニック本院"]


def test_rebuild_search_refills_the_archive_index(scale_out):
    patient = make_patient("福井 トメ", "ふくい とめ")
    submission = create_submission(d.BY_NUMBER["7"], FORM_7, facility=FacilityFactory())
    scale_out.requests.clear()
    out = StringIO()
    call_command("rebuild_search", stdout=out)
    assert "archive index: 2 records" in out.getvalue()
    assert scale_out.to("DELETE", ARCHIVE)  # dropped first
    bulks = [r.body for r in scale_out.requests if r.path == "/_bulk"]
    archived = {
        action["index"]["_id"]: source
        for body in bulks
        for action, source in zip(body[::2], body[1::2], strict=True)
        if action["index"]["_index"] == ARCHIVE.strip("/")
    }
    assert set(archived) == {f"patients-{patient.pk}", f"submissions-{submission.pk}"}
    assert archived[f"patients-{patient.pk}"]["name"] == "福井 トメ"
    assert archived[f"submissions-{submission.pk}"]["name"] == "敦賀 ハナ"


def test_hits_are_confirmed_like_database_rows(scale_out, secretariat):
    """The engine's candidates are checked on the normalised text: each word an exact phrase."""

    def hit(key, name, kana, reference):
        return {
            "_id": key,
            "_source": {
                "source": "submissions", "form": "7", "reference": reference,
                "reference_key": archive.reference_key(reference), "name": name, "name_kana": kana,
                "date": "2026-03-01", "status": "received", "facility_ids": [],
                "facilities": ["みまもり在宅クリニック"], "url": "/admin/pages/1/edit/",
            },
        }

    scale_out.queue("POST", f"{ARCHIVE}/_search", {"hits": {"hits": [
        hit("submissions-1", "敦賀 ハナ", "つるが はな", "MM-2026-000001"),
        hit("submissions-2", "鶴賀 ハ ナ", "つる が はな", "MM-2026-000002"),  # "つるが" is not in it as written
    ]}})
    records = archive.search(secretariat, ArchiveCriteria(text="ツルガ"))
    assert [(r.reference, r.status_label, r.date) for r in records] == [
        ("MM-2026-000001", "受付済み", date(2026, 3, 1))
    ]
    (request,) = scale_out.to("POST", f"{ARCHIVE}/_search")
    assert request.body["query"]["bool"]["must"] == [{"match_phrase": {"text.bigram": "つるが"}}]
    assert {"terms": {"source": ["patients", "submissions"]}} in _filters(request.body)
