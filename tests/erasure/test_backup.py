"""Encrypted backup and restore; a restore never brings a withdrawn patient back."""

import hashlib
import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

import pytest
from PIL import Image

from audit import triggers as audit_triggers
from erasure.backup import BackupError, generate_key, restore_backup
from erasure.models import Tombstone
from erasure.services import withdraw_consent
from network.models import PatientPage
from tests.erasure.residue import table_dump_hits, tree
from tests.factories import FacilityFactory, join_team, make_patient, make_staff
from timeline.models import Attachment, Post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def key(monkeypatch):
    value = generate_key()
    monkeypatch.setenv("MIMAMORI_BACKUP_KEY", value)
    return value


@pytest.fixture
def keys_dir(settings, tmp_path):
    settings.MIMAMORI_KEYS_DIR = tmp_path / "keys"
    settings.MIMAMORI_KEYS_DIR.mkdir()
    (settings.MIMAMORI_KEYS_DIR / "ca.key").write_bytes(b"-----BEGIN PRIVATE KEY----- test")
    return settings.MIMAMORI_KEYS_DIR


def _jpeg(name):
    buffer = io.BytesIO()
    Image.new("RGB", (200, 150), (90, 120, 180)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def network(signed_in):
    station = FacilityFactory(kind="visiting_nurse")
    nurse = make_staff(station)
    marker = f"zqmark{uuid.uuid4().hex[:12]}"
    leaving = make_patient(f"撤回 {marker}", "てっかい")
    staying = make_patient("福井 トメ", "ふくい とめ")
    client = signed_in(nurse)
    for patient, text in ((leaving, f"記録 {marker}"), (staying, "残る記録")):
        join_team(patient, station, nurse)
        assert client.post(patient.url, {"body": text, "files": [_jpeg("a.jpg")]}).status_code == 302
    return {"leaving": leaving, "staying": staying, "nurse": nurse, "marker": marker}


def _dump():
    """Every table's rows, sorted (the comparison 'everything identical' is made on this)."""
    dump = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(include_views=False):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump[table] = sorted(repr(row) for row in cursor.fetchall())
    return dump


def _media(settings):
    root = settings.MEDIA_ROOT
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in tree(root)
        if p.is_file()
    }


def test_backup_wipe_restore_gives_back_everything(network, key, keys_dir, settings, tmp_path):
    archive = tmp_path / "backup.mmbk"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    assert archive.stat().st_mode & 0o077 == 0
    assert b"SQLite format" not in archive.read_bytes() and "福井".encode() not in archive.read_bytes()
    before_tables, before_media = _dump(), _media(settings)
    assert before_media

    # The audit table refuses deletes (triggers); a wipe lifts them, the restore brings them back.
    audit_triggers.remove(connection)
    call_command("flush", interactive=False, verbosity=0)
    for path in sorted(tree(settings.MEDIA_ROOT), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (keys_dir / "ca.key").unlink()
    assert not Post.objects.exists()

    out = io.StringIO()
    call_command("restore", str(archive), yes=True, stdout=out)
    assert "復元しました" in out.getvalue()
    after = _dump()
    assert after.keys() == before_tables.keys()
    differing = [t for t in before_tables if before_tables[t] != after[t]]
    assert differing == []
    assert _media(settings) == before_media
    assert (keys_dir / "ca.key").read_bytes() == b"-----BEGIN PRIVATE KEY----- test"


def test_a_patient_who_withdrew_after_the_backup_stays_deleted(network, key, settings, tmp_path):
    archive = tmp_path / "backup.mmbk"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    leaving, marker = network["leaving"], network["marker"]
    leaving_files = [
        name
        for a in Attachment.objects.filter(post__patient=leaving)
        for name in (a.file.name, a.thumbnail.name)
    ]
    tombstone = withdraw_consent(leaving, by=None, reference="R8-0031", deliver=False)

    summary = restore_backup(archive)

    assert summary["patients_deleted_again"] == 1
    assert not PatientPage.objects.filter(patient_id=leaving.patient_id).exists()
    assert not Post.objects.filter(body__contains=marker).exists()
    assert all(not (settings.MEDIA_ROOT / name).exists() for name in leaving_files)
    assert table_dump_hits(marker)[0] == {}
    restored = Tombstone.objects.get()
    assert restored.id == tombstone.id and restored.reapplied_at is not None
    assert restored.counts == tombstone.counts
    # Everyone else came back.
    staying = Post.objects.get(patient__patient_id=network["staying"].patient_id)
    attachment = staying.attachments.get()
    assert attachment.file.storage.exists(attachment.file.name)


def test_the_journal_catches_a_withdrawal_the_database_alone_knows(network, key, settings, tmp_path):
    archive = tmp_path / "backup.mmbk"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    withdraw_consent(network["leaving"], by=None, reference="R8-0032", deliver=False)
    # A crash between the commit and the journal line: the journal has lost it.
    settings.ERASURE_JOURNAL_PATH.unlink()
    restore_backup(archive)
    assert not PatientPage.objects.filter(patient_id=network["leaving"].patient_id).exists()


def test_a_changed_archive_is_refused_and_nothing_is_touched(network, key, tmp_path):
    archive = tmp_path / "backup.mmbk"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))
    Post.objects.create(
        patient=network["staying"], author=network["nurse"],
        facility=network["nurse"].memberships.get().facility, body="バックアップ後の記録",
    )
    with pytest.raises(CommandError, match="改変・破損"):
        call_command("restore", str(archive), yes=True)
    assert Post.objects.filter(body="バックアップ後の記録").exists()
    truncated = tmp_path / "short.mmbk"
    truncated.write_bytes(bytes(data[: len(data) - 100]))
    with pytest.raises(BackupError):
        restore_backup(truncated)


def test_a_wrong_or_missing_key_is_refused(network, key, monkeypatch, tmp_path):
    archive = tmp_path / "backup.mmbk"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    monkeypatch.setenv("MIMAMORI_BACKUP_KEY", generate_key())
    with pytest.raises(CommandError, match="鍵が違う"):
        call_command("restore", str(archive), yes=True)
    monkeypatch.delenv("MIMAMORI_BACKUP_KEY")
    with pytest.raises(CommandError, match="MIMAMORI_BACKUP_KEY"):
        call_command("backup", output=str(tmp_path / "other.mmbk"))
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive))
