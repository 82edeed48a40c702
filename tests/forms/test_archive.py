"""Submitted forms are found in the secretariat's consent archive, and only there."""

from datetime import date

import pytest

from forms import definitions as d
from forms.services import create_submission
from search import archive
from tests.factories import FacilityFactory, make_secretariat, make_staff, totp_device

pytestmark = pytest.mark.django_db

FORM_7 = {
    "facility_code": "1812345678",
    "facility_name": "みまもり在宅クリニック",
    "patient_name": "敦賀 ハナ",
    "patient_name_kana": "つるが はな",
    "patient_birth_date": date(1936, 5, 1),
}


@pytest.fixture
def secretariat():
    user = make_secretariat()
    totp_device(user)
    return user


def test_a_withdrawal_form_is_found_by_kana_with_its_reference(secretariat, signed_in):
    clinic = FacilityFactory(name="みまもり在宅クリニック")
    submission = create_submission(d.BY_NUMBER["7"], FORM_7, facility=clinic)
    records = archive.search(secretariat, archive.ArchiveCriteria(text="ツルガ", form="7"))
    assert [(r.reference, r.name, r.facilities) for r in records] == [
        (submission.reference, "敦賀 ハナ", ["みまもり在宅クリニック"])
    ]
    body = signed_in(secretariat).get("/search/archive/", {"reference": submission.reference}).content.decode()
    assert "敦賀 ハナ" in body and submission.reference in body


def test_filters_by_status_and_facility(secretariat):
    clinic, other = FacilityFactory(), FacilityFactory()
    create_submission(d.BY_NUMBER["7"], FORM_7, facility=clinic)
    assert archive.search(secretariat, archive.ArchiveCriteria(facility=other, form="7")) == []
    assert archive.search(secretariat, archive.ArchiveCriteria(status="accepted", form="7")) == []
    assert len(archive.search(secretariat, archive.ArchiveCriteria(status="received", form="7"))) + len(
        archive.search(secretariat, archive.ArchiveCriteria(status="awaiting_signed", form="7"))
    ) == 1


def test_staff_never_see_the_archive(signed_in):
    clinic = FacilityFactory()
    create_submission(d.BY_NUMBER["7"], FORM_7, facility=clinic)
    staff = make_staff(clinic)
    assert archive.search(staff, archive.ArchiveCriteria(text="ツルガ")) == []
    response = signed_in(staff).get("/search/archive/", {"q": "ツルガ"})
    assert response.status_code == 404
    assert "敦賀" not in response.content.decode()
