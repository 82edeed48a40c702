"""manage.py verify_audit_log and export_audit_log."""

import json
from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError

import pytest

from audit import log
from audit.models import AuditEntry
from tests.audit.tampering import triggers_lifted

pytestmark = pytest.mark.django_db


def _entries(n=4):
    return [log.record(f"test.action{i}", number=i) for i in range(n)]


def test_intact_log_verifies_with_a_count():
    _entries()
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    assert f"監査ログは完全です（{AuditEntry.objects.count()}件" in out.getvalue()


def test_altered_entry_is_named_and_the_command_fails():
    entries = _entries()
    with triggers_lifted():
        AuditEntry.objects.filter(pk=entries[1].pk).update(actor_email="someone@example.jp")
    with pytest.raises(CommandError) as info:
        call_command("verify_audit_log")
    message = str(info.value)
    assert "改ざん" in message and "altered entries: " + str(entries[1].pk) in message


def test_deleted_entry_names_the_entry_after_it():
    entries = _entries()
    with triggers_lifted():
        AuditEntry.objects.filter(pk=entries[1].pk).delete()
    with pytest.raises(CommandError) as info:
        call_command("verify_audit_log")
    assert f"removed or inserted entry: {entries[2].pk}" in str(info.value)


def test_inserted_entry_with_a_correct_own_hash_is_found():
    """A forger who recomputes the inserted entry's hash still breaks the next link."""
    entries = _entries()
    forged = AuditEntry.objects.get(pk=entries[3].pk)
    with triggers_lifted():
        AuditEntry.objects.filter(pk=entries[3].pk).delete()
        forged.pk = None
        forged.action = "test.forged"
        forged.prev_hash = entries[2].entry_hash
        forged.entry_hash = log.chain_hash(forged.prev_hash, {n: getattr(forged, n) for n in log.CONTENT_FIELDS})
        forged.save()
    report = log.verify_report()
    assert report["altered"] == [] and report["broken_links"] == []
    assert report["head"] is False  # the head still names the real last entry
    with pytest.raises(CommandError, match="chain head"):
        call_command("verify_audit_log")


def test_truncated_end_is_found_through_the_head():
    entries = _entries()
    with triggers_lifted():
        AuditEntry.objects.filter(pk=entries[3].pk).delete()
    with pytest.raises(CommandError, match="末尾の削除"):
        call_command("verify_audit_log")


def test_export_writes_every_entry_with_hashes_and_verifies(tmp_path):
    entries = _entries()
    target = tmp_path / "audit.jsonl"
    call_command("export_audit_log", output=str(target), stdout=StringIO())
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in lines[:-1]] == list(AuditEntry.objects.values_list("id", flat=True))
    first = next(row for row in lines if row.get("id") == entries[0].pk)
    assert first["entry_hash"] == entries[0].entry_hash and first["detail"] == {"number": 0}
    count = AuditEntry.objects.count()
    assert lines[-1] == {**lines[-1], "trailer": True, "count": count, "chain_head": entries[-1].entry_hash}
    out = StringIO()
    call_command("export_audit_log", verify=str(target), stdout=out)
    assert "完全" in out.getvalue()


def test_altered_export_file_is_detected(tmp_path):
    _entries()
    target = tmp_path / "audit.jsonl"
    call_command("export_audit_log", output=str(target), stdout=StringIO())
    rows = target.read_text(encoding="utf-8").splitlines()
    second = json.loads(rows[1])
    second["action"] = "test.hidden"
    rows[1] = json.dumps(second, ensure_ascii=False)
    target.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match=str(second["id"])):
        call_command("export_audit_log", verify=str(target))


def test_export_by_period_refuses_a_bad_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("export_audit_log", since="2026/01/01")
