"""Encrypted backups that cannot bring a withdrawn patient back.

An archive is a tar file holding

* ``database/db.sqlite3`` — a consistent copy made with SQLite's online backup API
  (the embedded default), or ``database/postgresql.dump`` — ``pg_dump -Fc``;
* ``media/…`` — every stored file (attachments, thumbnails);
* ``keys/…`` — the key directory (``MIMAMORI_KEYS_DIR``) when it exists;
* ``manifest.json`` — size and SHA-256 of every member, the database engine and the
  applied migrations;

encrypted with AES-256-GCM (``cryptography``) in 1 MiB chunks: a random 8-byte prefix
and a chunk counter make each nonce, and the header plus a last-chunk flag are
authenticated with every chunk, so a changed, reordered or truncated archive is refused.
The key is ``MIMAMORI_BACKUP_KEY`` (32 random bytes, URL-safe base64; ``manage.py
backup --generate-key`` prints one).

Restore verifies everything before it touches anything, then replaces the database,
the media and the keys, migrates, and re-applies the deletion journal
(``erasure.services.reapply_journal``), which lives outside the database and outside
backups: a patient who withdrew consent after the backup was taken is deleted again.
"""

import base64
import binascii
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump/pg_restore with argument lists, no shell
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"MIMAMORI-BACKUP-1"
PREFIX_BYTES = 8
CHUNK = 1 << 20
FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator (Japanese)."""


# --- Keys and encryption -----------------------------------------------------------------


def generate_key():
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def load_key(value=None):
    value = value if value is not None else os.environ.get("MIMAMORI_BACKUP_KEY", "")
    if not value:
        raise BackupError(
            "環境変数 MIMAMORI_BACKUP_KEY が設定されていません（manage.py backup --generate-key で作成できます）。"
        )
    try:
        key = base64.urlsafe_b64decode(value.strip() + "=" * (-len(value.strip()) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BackupError("MIMAMORI_BACKUP_KEY の形式が正しくありません（32バイトのbase64）。") from exc
    if len(key) != 32:
        raise BackupError("MIMAMORI_BACKUP_KEY は32バイト（256ビット）の鍵にしてください。")
    return key


def _nonce(prefix, counter):
    return prefix + counter.to_bytes(4, "big")


def encrypt_stream(source, target, key):
    prefix = os.urandom(PREFIX_BYTES)
    header = MAGIC + prefix
    target.write(header)
    aead = AESGCM(key)
    counter = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        sealed = aead.encrypt(_nonce(prefix, counter), chunk, header + (b"\x01" if last else b"\x00"))
        target.write(len(sealed).to_bytes(4, "big") + sealed)
        counter += 1
        if last:
            return
        chunk = following


def decrypt_stream(source, target, key):
    header = source.read(len(MAGIC) + PREFIX_BYTES)
    if len(header) != len(MAGIC) + PREFIX_BYTES or not header.startswith(MAGIC):
        raise BackupError("みまもりSNSのバックアップファイルではありません。")
    prefix = header[len(MAGIC) :]
    aead = AESGCM(key)
    counter = 0
    length = source.read(4)
    while True:
        if len(length) != 4:
            raise BackupError("バックアップファイルが途中で切れています。")
        sealed = source.read(int.from_bytes(length, "big"))
        following = source.read(4)
        last = not following
        try:
            chunk = aead.decrypt(_nonce(prefix, counter), sealed, header + (b"\x01" if last else b"\x00"))
        except InvalidTag as exc:
            raise BackupError(
                "バックアップを復号できません（鍵が違うか、ファイルが改変・破損しています）。"
            ) from exc
        target.write(chunk)
        counter += 1
        if last:
            return
        length = following


# --- Taking a backup ---------------------------------------------------------------------


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _files_under(root):
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _pg_env():
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    args = ["-h", str(db.get("HOST") or "localhost"), "-p", str(db.get("PORT") or 5432),
            "-U", str(db.get("USER") or "")]
    return env, args, str(db["NAME"])


def _pg_tool(name):
    """The absolute path of a PostgreSQL client program (Debian keeps them per version)."""
    found = shutil.which(name)
    if found is None:
        candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: p.parts[-3])
        found = str(candidates[-1]) if candidates else None
    if found is None:
        raise BackupError(f"{name} が見つかりません（PostgreSQL のクライアントを入れてください）。")
    return found


def dump_database(target_dir):
    """A consistent copy of the database in ``target_dir``; returns its archive name."""
    target_dir = Path(target_dir)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        path = target_dir / "db.sqlite3"
        copy = sqlite3.connect(path)
        try:
            connection.connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
        return "database/db.sqlite3", path
    if connection.vendor == "postgresql":
        pg_dump = _pg_tool("pg_dump")
        env, args, name = _pg_env()
        path = target_dir / "postgresql.dump"
        subprocess.run(  # noqa: S603
            [pg_dump, "-Fc", "--no-owner", "--no-privileges", *args, "-f", str(path), name],
            env=env, check=True, capture_output=True,
        )
        return "database/postgresql.dump", path
    raise BackupError(f"{connection.vendor} のバックアップには対応していません。")


def _applied_migrations():
    from django.db.migrations.recorder import MigrationRecorder

    return sorted(f"{a}.{n}" for a, n in MigrationRecorder(connection).applied_migrations())


def create_backup(output, key=None):
    """Write an encrypted archive to ``output``; return the manifest."""
    key = key or load_key()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mimamori-backup-") as tmp:
        tmp = Path(tmp)
        members = []
        db_name, db_path = dump_database(tmp)
        members.append((db_name, db_path))
        media_root = Path(settings.MEDIA_ROOT)
        members += [(f"media/{p.relative_to(media_root).as_posix()}", p) for p in _files_under(media_root)]
        keys_dir = Path(settings.MIMAMORI_KEYS_DIR)
        members += [(f"keys/{p.relative_to(keys_dir).as_posix()}", p) for p in _files_under(keys_dir)]
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": {"vendor": connection.vendor, "member": db_name},
            "migrations": _applied_migrations(),
            "files": {name: {"size": path.stat().st_size, "sha256": _sha256(path)} for name, path in members},
        }
        manifest_path = tmp / "manifest.json"
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
        tar_path = tmp / "archive.tar"
        with tarfile.open(tar_path, "w") as tar:
            tar.add(manifest_path, arcname="manifest.json")
            for name, path in members:
                tar.add(path, arcname=name)
        partial = output.with_name(output.name + ".part")
        with open(tar_path, "rb") as source, open(partial, "wb") as target:
            os.chmod(partial, 0o600)
            encrypt_stream(source, target, key)
            target.flush()
            os.fsync(target.fileno())
        partial.replace(output)
    return manifest


# --- Restoring ---------------------------------------------------------------------------


def _extract(tar_path, into):
    into = Path(into).resolve()
    with tarfile.open(tar_path, "r") as tar:
        for member in tar.getmembers():
            target = (into / member.name).resolve()
            if not member.isfile() or into not in target.parents:
                raise BackupError(f"バックアップに不正な項目があります: {member.name}")
        tar.extractall(into, filter="data")  # noqa: S202 - members checked above


def open_archive(archive, into, key=None):
    """Decrypt, unpack and verify ``archive`` into ``into``; return the manifest."""
    key = key or load_key()
    into = Path(into)
    tar_path = into / "archive.tar"
    with open(archive, "rb") as source, open(tar_path, "wb") as target:
        decrypt_stream(source, target, key)
    unpacked = into / "unpacked"
    unpacked.mkdir()
    try:
        _extract(tar_path, unpacked)
    except tarfile.TarError as exc:
        raise BackupError("バックアップの中身を読めません。") from exc
    tar_path.unlink()
    manifest_path = unpacked / "manifest.json"
    if not manifest_path.is_file():
        raise BackupError("バックアップに manifest.json がありません。")
    manifest = json.loads(manifest_path.read_text())
    listed = manifest.get("files", {})
    present = {
        p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if p.is_file()
    } - {"manifest.json"}
    if present != set(listed):
        raise BackupError("バックアップの内容が manifest と一致しません（ファイルの過不足）。")
    for name, expected in listed.items():
        path = unpacked / name
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise BackupError(f"チェックサムが一致しません: {name}")
    return manifest, unpacked


def _replace_tree(source, target):
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for child in list(target.iterdir()):
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)


def _load_database(manifest, unpacked):
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"このバックアップは {vendor} のものです（現在のデータベースは {connection.vendor}）。"
        )
    path = unpacked / manifest["database"]["member"]
    if vendor == "sqlite":
        connection.ensure_connection()
        if connection.in_atomic_block:
            raise BackupError("トランザクションの中では復元できません。")
        restored = sqlite3.connect(path)
        try:
            restored.backup(connection.connection)
        finally:
            restored.close()
        connection.close()
        return
    env, args, name = _pg_env()
    subprocess.run(  # noqa: S603
        [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
         *args, "-d", name, str(path)],
        env=env, check=True, capture_output=True,
    )
    connection.close()


def restore_backup(archive, key=None, *, journal=None):
    """Bring ``archive`` back and re-apply the deletion journal; return a summary."""
    from django.core.management import call_command

    from . import services

    with tempfile.TemporaryDirectory(prefix="mimamori-restore-") as tmp:
        manifest, unpacked = open_archive(archive, tmp, key)
        # Withdrawals recorded only in the database being replaced go to the journal first.
        try:
            merged = services.merge_database_into_journal(journal)
        except Exception:  # noqa: BLE001 - an empty or broken current database has nothing to add
            merged = 0
        _load_database(manifest, unpacked)
        _replace_tree(unpacked / "media", settings.MEDIA_ROOT)
        if (unpacked / "keys").is_dir():
            _replace_tree(unpacked / "keys", settings.MIMAMORI_KEYS_DIR)
    call_command("migrate", interactive=False, verbosity=0)
    # Each patient deleted again scrubs the database itself (after its commit); here the
    # WAL written by the restore is only checkpointed, which changes no content.
    purged, recorded = services.reapply_journal(journal)
    checkpoint = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            checkpoint = services.checkpoint(cursor)
    return {
        "created_at": manifest["created_at"],
        "files": len(manifest["files"]),
        "journal_merged": merged,
        "patients_deleted_again": purged,
        "tombstones_recorded": recorded,
        "checkpoint": checkpoint,
    }
