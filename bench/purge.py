"""Benchmark of consent withdrawal (``erasure.services.withdraw_consent``) for a big timeline.

Run from the repository root:

    DJANGO_SETTINGS_MODULE=cms.settings.test .venv/bin/python bench/purge.py [--seed N] [--keep-db]

It builds its own SQLite database in a fresh temporary directory (never
``var/mimamori.sqlite3``), migrates it and loads one patient with 10,000 posts,
1,000 attachments (real files on disk, half of them photos with a thumbnail),
a django-reversion version per post plus 500 edits, 5 readers' read marks and
notices for every post, 50 change requests, 200 mail copies (file backend,
attributed through the sent-mail log), a patient-family facility with two family
accounts, Wagtail revisions and log entries. A second patient with 2,000 posts and
200 attachments is the control that must stay intact. Every text of the purged
patient carries a marker string.

It then times one withdrawal through the service, from the call to the end of the
after-commit work (files overwritten and deleted, FTS optimised, WAL checkpointed,
deletion certificate mailed), and scans every store for the marker: every table,
the SQLite file with its -wal and -shm, MEDIA_ROOT and the mail directory.
Target (SQLite, 2 cores): ≤ 30 s. Results go to ``bench/results/purge.json``.
"""

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.common import setup_django  # noqa: E402

RESULTS = REPO / "bench" / "results" / "purge.json"
TARGET_SECONDS = 30.0

POSTS = 10_000
ATTACHMENTS = 1_000
EDITS = 500
READERS = 5
CHANGE_REQUESTS = 50
MAILS = 200
CONTROL_POSTS = 2_000
CONTROL_ATTACHMENTS = 200


def source_state():
    git = shutil.which("git")
    if git is None:
        return "unknown", None

    def run(*args):
        return subprocess.run(  # noqa: S603 (fixed arguments)
            [git, "--no-optional-locks", "-C", str(REPO), *args],
            capture_output=True, text=True, check=True,
        ).stdout.strip()

    try:
        return run("rev-parse", "--short", "HEAD"), bool(
            run("status", "--porcelain", "--", ".", ":(exclude)bench")
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown", None


def _jpeg_bytes(rng):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (rng.randrange(256), 80, 80)).save(buffer, "JPEG")
    return buffer.getvalue()


def _timeline(patient, facility, authors, readers, n_posts, n_attachments, marker, rng, media_root):
    """Bulk rows for one timeline; returns the post ids."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from reversion.models import Revision, Version

    from timeline.models import Attachment, ChangeRequest, Notification, Post, PostRead

    now = timezone.now()
    posts = Post.objects.bulk_create(
        [
            Post(patient=patient, author=rng.choice(authors), facility=facility,
                 author_job_title="看護師", body=f"訪問記録 {i} {marker} 発熱なし、食事良好。")
            for i in range(n_posts)
        ],
        batch_size=1000,
    )
    ids = [p.pk for p in posts]
    post_ct = ContentType.objects.get_for_model(Post)
    revisions = Revision.objects.bulk_create(
        [Revision(date_created=now, comment="") for _ in range(len(ids) + min(EDITS, len(ids)))],
        batch_size=1000,
    )
    versions = []
    for revision, pk in zip(revisions, ids + ids[:EDITS], strict=True):
        data = json.dumps([{"model": "timeline.post", "pk": pk,
                            "fields": {"body": f"訪問記録 {pk} {marker}", "edited_at": None}}],
                          ensure_ascii=False)
        versions.append(Version(revision=revision, object_id=str(pk), content_type=post_ct, db="default",
                                format="json", serialized_data=data, object_repr=f"Post {pk}"))
    Version.objects.bulk_create(versions, batch_size=1000)
    folder = Path(media_root) / "attachments" / patient.patient_id.hex
    folder.mkdir(parents=True, exist_ok=True)
    jpeg = _jpeg_bytes(rng)
    rows = []
    for i in range(n_attachments):
        photo = i % 2 == 0
        name = f"attachments/{patient.patient_id.hex}/{uuid.uuid4().hex}{'.jpg' if photo else '.pdf'}"
        content = jpeg if photo else f"%PDF-1.4 {marker} {i}\n%%EOF\n".encode()
        (Path(media_root) / name).write_bytes(content)
        thumb = ""
        if photo:
            thumb = f"attachments/{patient.patient_id.hex}/{uuid.uuid4().hex}.thumb.jpg"
            (Path(media_root) / thumb).write_bytes(jpeg)
        rows.append(Attachment(post_id=ids[i], kind="image" if photo else "pdf", file=name, thumbnail=thumb,
                               content_type="image/jpeg" if photo else "application/pdf",
                               extension=".jpg" if photo else ".pdf",
                               display_name=f"{marker}-{i}.{'jpg' if photo else 'pdf'}",
                               size=len(content), sha256="0" * 64))
    Attachment.objects.bulk_create(rows, batch_size=1000)
    PostRead.objects.bulk_create(
        [PostRead(post_id=pk, user=u) for pk in ids for u in readers], batch_size=2000
    )
    Notification.objects.bulk_create(
        [Notification(user=u, patient=patient, post_id=pk, kind="new_post", read_at=now)
         for pk in ids for u in readers],
        batch_size=2000,
    )
    if readers:
        ChangeRequest.objects.bulk_create(
            [ChangeRequest(post_id=pk, requester=readers[-1], kind="edit", reason=f"訂正 {marker}")
             for pk in ids[:CHANGE_REQUESTS]]
        )
    return ids


def build(rng, media_root, mail_dir):
    from django.conf import settings
    from django.core.mail import EmailMessage

    from erasure.mail import attribute
    from network import services
    from network.models import Facility, FacilityKind, MembershipRole, PatientsIndexPage
    from tests.factories import make_secretariat

    marker = f"zqmark{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
    index = PatientsIndexPage.objects.get()
    station = services.save_facility(Facility(kind=FacilityKind.VISITING_NURSE, code="9100000001",
                                              name="ベンチ訪問看護", status="active"))
    clinic = services.save_facility(Facility(kind=FacilityKind.MEDICAL, code="9100000002",
                                             name="ベンチ診療所", status="active"))
    staff = []
    for i, facility in enumerate([station] * 3 + [clinic] * 3):
        user = services.create_user(f"staff{i}@bench.example.jp", "職員", str(i), password=None)
        services.add_membership(user, facility, MembershipRole.STAFF, job_title="看護師")
        staff.append((user, facility))
    admin = services.create_user("admin@bench.example.jp", "管理", "者")
    services.add_membership(admin, station, MembershipRole.ADMIN)
    make_secretariat(email="office@bench.example.jp")
    patient = services.create_patient(index, f"ベンチ {marker}", f"べんち {marker}")
    control = services.create_patient(index, "対照 患者", "たいしょう かんじゃ")
    for p in (patient, control):
        for facility in (station, clinic):
            services.link_facility(p, facility)
        for user, facility in staff:
            services.link_member(p, user, facility)
    for _ in range(3):  # the secretariat edits the patient's page: revisions and log entries
        patient.save_revision(log_action=True).publish()
    family = []
    for i, relation in enumerate(["長女", "長男"]):
        user = services.create_user(f"family{i}@bench.example.jp", "家族", str(i))
        services.add_family_member(patient, user, relation)
        family.append(user)
    authors = [u for u, _f in staff[:3]]
    readers = [u for u, _f in staff[3:]] + family
    _timeline(patient, station, authors, readers, POSTS, ATTACHMENTS, marker, rng, media_root)
    _timeline(control, station, authors, readers[:3], CONTROL_POSTS, CONTROL_ATTACHMENTS,
              "controltext", rng, media_root)
    settings.EMAIL_BACKEND = "erasure.mail.RecordingBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    from django.core.mail import get_connection

    with get_connection() as connection:
        messages = [
            attribute(EmailMessage(f"お知らせ {marker}", f"{marker} さんの患者・家族", "noreply@x.invalid",
                                   ["family0@bench.example.jp"]), [patient.pk])
            for _ in range(MAILS)
        ]
        connection.send_messages(messages)
    return {"marker": marker, "patient": patient, "control": control}


def scan(marker, media_root, mail_dir):
    from django.db import connection

    needle = marker.lower()
    tables = connection.introspection.table_names(include_views=False)
    table_hits = {}
    rows_scanned = 0
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                rows_scanned += 1
                if any(needle in (bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v)).lower()
                       for v in row):
                    table_hits[table] = table_hits.get(table, 0) + 1
    db = Path(connection.settings_dict["NAME"])
    db_files = [Path(f"{db}{s}") for s in ("", "-wal", "-shm")]
    file_stores = {"database files": db_files,
                   "media": [p for p in Path(media_root).rglob("*") if p.is_file()],
                   "mail": [p for p in Path(mail_dir).rglob("*") if p.is_file()]}
    file_hits = {}
    sizes = {}
    for store, paths in file_stores.items():
        hits = [str(p) for p in paths if p.exists() and (
            needle.encode() in p.read_bytes().lower() or needle in p.name.lower())]
        file_hits[store] = hits
        sizes[store] = len([p for p in paths if p.exists()])
    return {
        "tables": len(tables), "rows": rows_scanned, "table_hits": table_hits, "file_hits": file_hits,
        "files": sizes, "db_file_bytes": {p.name: (p.stat().st_size if p.exists() else 0) for p in db_files},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    tmp_dir = tempfile.mkdtemp(prefix="mimamori-bench-purge-")
    ok = False
    try:
        db_path = setup_django(tmp_dir)
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from erasure.services import withdraw_consent
        from timeline.models import Attachment, Post

        settings.ERASURE_JOURNAL_PATH = Path(tmp_dir) / "journal.jsonl"
        media_root, mail_dir = Path(settings.MEDIA_ROOT), Path(tmp_dir) / "mail"
        print(f"database: {db_path}")
        call_command("migrate", interactive=False, verbosity=0)
        rng = random.Random(args.seed)
        start = time.perf_counter()
        world = build(rng, media_root, mail_dir)
        build_seconds = time.perf_counter() - start
        marker, patient, control = world["marker"], world["patient"], world["control"]
        before = scan(marker, media_root, mail_dir)
        assert before["table_hits"] and before["file_hits"]["media"] and before["file_hits"]["mail"]
        control_before = (Post.objects.filter(patient=control).count(),
                          Attachment.objects.filter(post__patient=control).count())
        print(f"built in {build_seconds:.1f} s; marker found before in {len(before['table_hits'])} tables, "
              f"{len(before['file_hits']['media'])} media files, {len(before['file_hits']['mail'])} mails")

        load = os.getloadavg()[0]
        cpu = time.process_time()
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            tombstone = withdraw_consent(patient, by=None, reference="BENCH-1")
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu
        load_end = os.getloadavg()[0]

        after = scan(marker, media_root, mail_dir)
        control_after = (Post.objects.filter(patient=control).count(),
                         Attachment.objects.filter(post__patient=control).count())
        control_files = sum(1 for a in Attachment.objects.filter(post__patient=control)
                            if (media_root / a.file.name).exists())
        residue = sum(after["table_hits"].values()) + sum(len(v) for v in after["file_hits"].values())
        ok = seconds <= TARGET_SECONDS and residue == 0 and control_after == control_before \
            and control_files == CONTROL_ATTACHMENTS

        print()
        print("consent withdrawal of one patient (SQLite, WAL, secure_delete)")
        for key, value in tombstone.counts.items():
            print(f"  {key:<20} {value:>8,}")
        print(f"  time                 {seconds:8.2f} s  (CPU {cpu_seconds:.2f} s, {len(queries)} queries; "
              f"target ≤ {TARGET_SECONDS:.0f} s: {'PASS' if seconds <= TARGET_SECONDS else 'MISS'})")
        print(f"  load average         {load:.2f} → {load_end:.2f} (2 cores, shared machine)")
        print()
        print("stores scanned for the marker after the withdrawal:")
        print(f"  {after['tables']} tables, every row ({after['rows']:,} rows): "
              f"{after['table_hits'] or 'nothing found'}")
        for store, count in after["files"].items():
            print(f"  {store}: {count} files: {after['file_hits'][store] or 'nothing found'}")
        print(f"  database file sizes: {after['db_file_bytes']}")
        print(f"  control patient intact: posts {control_after[0]:,}, attachments {control_after[1]:,}, "
              f"files on disk {control_files:,}")

        commit, dirty = source_state()
        results = {
            "posts": POSTS, "attachments": ATTACHMENTS, "post_versions": tombstone.counts.get("post_versions"),
            "read_marks": tombstone.counts.get("read_marks"),
            "notifications": tombstone.counts.get("notifications"),
            "files_deleted": tombstone.counts.get("files"), "mail_copies": tombstone.counts.get("mail_copies"),
            "build_seconds": round(build_seconds, 2),
            "purge_seconds": round(seconds, 3), "purge_cpu_seconds": round(cpu_seconds, 3),
            "purge_queries": len(queries),
            "target_seconds": TARGET_SECONDS, "purge_target_ratio": round(TARGET_SECONDS / seconds, 2),
            "purge_pass": seconds <= TARGET_SECONDS,
            "tables_scanned": after["tables"], "rows_scanned": after["rows"],
            "stores_scanned": ["every table (connection.introspection)", "SQLite file", "-wal", "-shm",
                               "MEDIA_ROOT", "mail directory"],
            "residue_hits": residue,
            "control_intact": control_after == control_before and control_files == CONTROL_ATTACHMENTS,
            "load_average_1min": round(load, 2), "load_average_1min_end": round(load_end, 2),
            "git_commit": commit, "git_uncommitted_changes": dirty,
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"  results written to {RESULTS.relative_to(REPO)}")
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep_db:
            print(f"database kept in {tmp_dir}")
        else:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
