"""The consent archive search: secretariat only, filters, and the source registry."""

from datetime import date

import pytest

from search import archive
from tests.factories import (
    FacilityFactory,
    join_team,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)

from .conftest import write

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    pharmacy = FacilityFactory(name="さくら薬局", kind="pharmacy")
    nurse = make_staff(clinic)
    tome = make_patient("福井 トメ", "ふくい とめ", consent_date=date(2024, 4, 10))
    mitsu = make_patient("若狭 ミツ", "わかさ みつ", consent_date=date(2025, 6, 1))
    ichiro = make_patient("越前 一郎", "えちぜん いちろう", consent_date=date(2026, 1, 20))
    join_team(tome, clinic, nurse)
    join_team(mitsu, pharmacy)
    write(nurse, tome, clinic, "ふくいさんの褥瘡の処置")
    secretariat = make_secretariat()
    totp_device(secretariat)
    return {"clinic": clinic, "pharmacy": pharmacy, "nurse": nurse, "secretariat": secretariat,
            "tome": tome, "mitsu": mitsu, "ichiro": ichiro}


def _names(response):
    assert response.status_code == 200
    body = response.content.decode()
    return [n for n in ("福井 トメ", "若狭 ミツ", "越前 一郎") if n in body], body


def test_secretariat_finds_a_consent_record_by_kana(records, signed_in):
    names, body = _names(signed_in(records["secretariat"]).get("/search/archive/", {"q": "フクイ"}))
    assert names == ["福井 トメ"]
    assert records["tome"].patient_id.hex[:8].upper() in body
    assert "褥瘡" not in body and "処置" not in body


def test_filter_by_date_range(records, signed_in):
    client = signed_in(records["secretariat"])
    names, _ = _names(client.get("/search/archive/", {"date_from": "2025-01-01", "date_to": "2025-12-31"}))
    assert names == ["若狭 ミツ"]


def test_filter_by_facility_and_form_and_status(records, signed_in):
    client = signed_in(records["secretariat"])
    names, _ = _names(client.get("/search/archive/", {"facility": records["pharmacy"].pk, "form": "5"}))
    assert names == ["若狭 ミツ"]
    names, _ = _names(client.get("/search/archive/", {"status": "unpublished"}))
    assert names == []


def test_filter_by_reference_number_in_full_width(records, signed_in):
    reference = records["ichiro"].patient_id.hex[:8].upper()
    full_width = reference[:6].translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    names, _ = _names(signed_in(records["secretariat"]).get("/search/archive/", {"reference": full_width}))
    assert names == ["越前 一郎"]


def test_reversed_date_range_gets_a_japanese_message(records, signed_in):
    response = signed_in(records["secretariat"]).get(
        "/search/archive/", {"date_from": "2026-01-01", "date_to": "2025-01-01"}
    )
    assert response.status_code == 200
    assert "日付の範囲が逆になっています" in response.content.decode()


@pytest.mark.parametrize("who", ["nurse", "anonymous"])
def test_anyone_else_gets_a_404(records, signed_in, client, who):
    user_client = client if who == "anonymous" else signed_in(records[who])
    response = user_client.get("/search/archive/", {"q": "ふくい"})
    assert response.status_code == 404
    assert "福井" not in response.content.decode()
    assert archive.search(records["nurse"], archive.ArchiveCriteria(text="ふくい")) == []


def test_a_registered_source_is_searched_with_the_same_criteria(records):
    class Form7Source:
        key = "form7-test"
        label = "様式7 同意撤回書"
        forms = [("7", "様式7 同意撤回書")]
        statuses = [("received", "受付")]

        def records(self, user, criteria):
            rows = [("W-0001", "小浜 ウメ", "おばま うめ", date(2026, 3, 1))]
            return [
                archive.ArchiveRecord(source=self.key, form="7", reference=ref, name=name, name_kana=kana,
                                      date=day, status="received", status_label="受付")
                for ref, name, kana, day in rows
                if criteria.matches_text(name, kana, ref) and criteria.matches_reference(ref)
                and criteria.in_range(day) and criteria.status in ("", "received")
            ]

    archive.register(Form7Source())
    try:
        found = archive.search(records["secretariat"], archive.ArchiveCriteria(text="オバマ", form="7"))
        assert [r.name for r in found] == ["小浜 ウメ"]
        assert archive.search(records["secretariat"], archive.ArchiveCriteria(reference="w0001"))[0].form == "7"
        assert archive.search(records["secretariat"], archive.ArchiveCriteria(text="オバマ", form="5")) == []
        assert ("7", "様式7 同意撤回書") in archive.form_choices()
    finally:
        archive.unregister("form7-test")
