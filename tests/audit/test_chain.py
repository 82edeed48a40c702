"""The audit log's hash chain detects altered, removed and inserted entries."""

import pytest

from audit import log
from audit.models import AuditEntry
from tests.audit.tampering import triggers_lifted
from tests.factories import FacilityFactory, join_team, make_patient, make_staff

pytestmark = pytest.mark.django_db


def _entries(n=3):
    return [log.record(f"test.action{i}", target_note=i) for i in range(n)]


def test_intact_chain_verifies():
    _entries()
    assert log.verify() == []


def test_altered_entry_is_detected():
    entries = _entries()
    with triggers_lifted():
        AuditEntry.objects.filter(pk=entries[1].pk).update(action="test.tampered")
    assert entries[1].pk in log.verify()


def test_removed_entry_is_detected():
    entries = _entries()
    with triggers_lifted():
        AuditEntry.objects.filter(pk=entries[1].pk).delete()
    assert entries[2].pk in log.verify()


def test_removed_last_entry_is_detected_through_the_head():
    entries = _entries()
    with triggers_lifted():
        AuditEntry.objects.filter(pk=entries[2].pk).delete()
    assert "head" in log.verify()


def test_inserted_entry_is_detected():
    entries = _entries()
    forged = AuditEntry.objects.get(pk=entries[0].pk)
    forged.pk = None
    forged.entry_hash = "f" * 64
    forged.save()
    assert forged.pk in log.verify()


def test_reading_a_timeline_and_being_refused_are_recorded(signed_in):
    clinic = FacilityFactory()
    nurse, outsider = make_staff(clinic), make_staff(FacilityFactory())
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, clinic, nurse)
    signed_in(nurse).get(patient.url)
    signed_in(outsider).get(patient.url)
    read = AuditEntry.objects.get(action="timeline.read")
    denied = AuditEntry.objects.get(action="patient.view")
    assert (read.actor_id, read.patient_id, read.decision) == (nurse.pk, patient.pk, "allowed")
    assert (denied.actor_id, denied.decision) == (outsider.pk, "denied")
    assert "福井" not in str(AuditEntry.objects.values_list())
    assert log.verify() == []
