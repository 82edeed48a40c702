"""The quality set: 230 care notes, 58 queries with expected hits; precision and recall ≥ 0.9.

The data (tests/search/data/quality_set.json) covers two-character words,
single-kanji words, katakana drug names typed in katakana, half-width katakana
and hiragana, full/half-width letters and digits, phrases, several words, and
patients' names in kana. One patient is outside the searcher's team: nothing of
theirs may come back. Runs on whichever database the suite uses (SQLite by
default, PostgreSQL with DATABASE_URL).
"""

import json
from pathlib import Path

import pytest

from search.query import search
from tests.factories import FacilityFactory, join_team, make_patient, make_staff
from timeline.models import Post

pytestmark = pytest.mark.django_db

DATA = json.loads((Path(__file__).parent / "data" / "quality_set.json").read_text(encoding="utf-8"))


def test_quality_set_precision_and_recall_are_at_least_0_9():
    assert len(DATA["notes"]) >= 200 and len(DATA["queries"]) >= 40
    station = FacilityFactory(name="ひまわり訪問看護", kind="visiting_nurse")
    elsewhere = FacilityFactory(name="よその訪問看護", kind="visiting_nurse")
    nurse = make_staff(station)
    other_nurse = make_staff(elsewhere)
    patients = []
    for entry in DATA["patients"]:
        patient = make_patient(entry["name"], entry["kana"])
        if entry["on_team"]:
            join_team(patient, station, nurse)
        else:
            join_team(patient, elsewhere, other_nurse)
        patients.append(patient)
    note_by_post = {}
    for note in DATA["notes"]:
        patient = patients[note["patient"]]
        author = nurse if DATA["patients"][note["patient"]]["on_team"] else other_nurse
        post = Post.objects.create(
            patient=patient, author=author, facility=station if author == nurse else elsewhere,
            author_job_title="看護師", body=note["body"],
        )
        note_by_post[post.pk] = note["id"]

    tp = fp = fn = 0
    report = []
    for query in DATA["queries"]:
        results = search(nurse, query["q"], max_posts=1000)
        got = {("note", note_by_post[r.post.pk]) for r in results.posts}
        got |= {("patient", patients.index(p)) for p, _s, _u in results.patients}
        expected = {("note", n) for n in query["notes"]} | {("patient", p) for p in query["patients"]}
        tp += len(got & expected)
        fp += len(got - expected)
        fn += len(expected - got)
        if got != expected:
            report.append((query["q"], sorted(got - expected), sorted(expected - got)))
        for result in results.posts:
            assert "<mark>" in str(result.snippet), query["q"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"quality set: precision {precision:.3f}, recall {recall:.3f}, differing queries {report}")
    assert precision >= 0.9, report
    assert recall >= 0.9, report
    assert tp > 700  # the set is not trivially small
