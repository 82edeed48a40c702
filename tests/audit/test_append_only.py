"""The database itself refuses to change or remove an audit entry (triggers from a migration)."""

from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction

import pytest

from audit import log
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db

REFUSED = (IntegrityError, InternalError, ProgrammingError)


def test_update_through_the_orm_is_refused():
    entry = log.record("test.action")
    with pytest.raises(REFUSED), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="test.changed")
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.action"


def test_saving_a_changed_instance_is_refused():
    entry = log.record("test.action")
    entry.decision = "denied"
    with pytest.raises(REFUSED), transaction.atomic():
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).decision == "allowed"


def test_delete_through_the_orm_is_refused():
    entry = log.record("test.action")
    with pytest.raises(REFUSED), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_raw_sql_update_and_delete_are_refused():
    entry = log.record("test.action")
    table = AuditEntry._meta.db_table
    for sql in (
        f"UPDATE {table} SET action = 'x' WHERE id = %s",  # noqa: S608
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ):
        with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.action"
    assert log.verify() == []
