"""Consent withdrawal leaves no trace: a marker planted everywhere is found nowhere afterwards.

The marker goes into the patient's name (so into page revisions, log entries, the family
facility's name and its history, the search index and the family's invitation mail), a
post (then edited away, so it lives on in the post's history), a PDF's content and file
name, a change request and the notices it causes, and e-mails. After the withdrawal
every table, the SQLite database file with its -wal and -shm files, MEDIA_ROOT and the
mail directory are scanned.
"""

import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from wagtail.log_actions import log
from wagtail.models import Page

import pytest
import reversion
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from accounts.invitations import send_invitation
from erasure.models import SentMail, Tombstone
from erasure.services import withdraw_consent
from network.models import Facility, MemberLink, PatientPage, TeamLink
from search import archive
from tests.erasure.residue import database_files, file_hits, table_dump_hits, tree
from tests.factories import (
    FacilityFactory,
    join_team,
    make_admin,
    make_family,
    make_patient,
    make_secretariat,
    make_staff,
    totp_device,
)
from timeline.models import Attachment, ChangeRequest, Notification, Post, PostRead


def _pdf_with(marker):
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pageCompression=0)
    canvas.setTitle(f"referral {marker}")
    canvas.drawString(72, 720, f"referral letter {marker}")
    canvas.save()
    return SimpleUploadedFile(f"{marker}.pdf", buffer.getvalue(), content_type="application/pdf")


def _jpeg(name="wound.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 90, 90)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def world(transactional_db, mail_dir, signed_in, settings):
    marker = f"zqmark{uuid.uuid4().hex[:12]}"
    station = FacilityFactory(name="ひまわり訪問看護", kind="visiting_nurse")
    station_admin = make_admin(station, email="admin@station.example.jp")
    secretariat = make_secretariat(email="office@example.jp")
    totp_device(secretariat)
    nurse, doctor = make_staff(station), make_staff(station, job_title="医師")
    patient = make_patient(f"見守 {marker}", f"みまもり {marker}")
    join_team(patient, station, nurse, doctor)
    family = make_family(patient, relation="長女")
    send_invitation(family, Facility.objects.get(family_of=patient))
    other = make_patient("福井 トメ", "ふくい とめ")
    join_team(other, station, nurse, doctor)

    client = signed_in(nurse)
    response = client.post(
        patient.url, {"body": f"発熱あり {marker}", "files": [_pdf_with(marker), _jpeg()]}
    )
    assert response.status_code == 302
    post = Post.objects.get(patient=patient)
    response = client.post(
        f"/timeline/posts/{post.pk}/edit/", {"body": "解熱しました", "version": post.version}
    )
    assert response.status_code == 302
    response = client.post(other.url, {"body": "他の患者の記録", "files": [_jpeg("other.jpg")]})
    assert response.status_code == 302
    signed_in(doctor).get(patient.url)
    family_client = signed_in(family)
    response = family_client.post(
        f"/timeline/posts/{post.pk}/request/", {"kind": "edit", "reason": f"訂正 {marker}"}
    )
    assert response.status_code in (200, 302)
    # The secretariat edits a team link in the admin: a log entry and a version named after the patient.
    link = TeamLink.objects.get(patient=patient, facility=station)
    with reversion.create_revision():
        reversion.set_user(secretariat)
        reversion.add_to_revision(link)
    log(instance=link, action="wagtail.edit", user=secretariat)
    return {
        "marker": marker,
        "patient": patient,
        "other": other,
        "post": post,
        "family": family,
        "secretariat": secretariat,
        "station_admin": station_admin,
        "mail_dir": mail_dir,
        "media": settings.MEDIA_ROOT,
    }


def _everything(world):
    marker = world["marker"]
    tables, table_names = table_dump_hits(marker)
    stores = {
        "tables": tables,
        "database files": file_hits(database_files(), marker)
        if connection.vendor == "sqlite"
        else [],
        "media": file_hits(tree(world["media"]), marker),
        "mail": file_hits(tree(world["mail_dir"]), marker),
        "search": [p.pk for p in Page.objects.search(marker)],
        # The secretariat's consent archive: read from the tables above by default, from its
        # own index (<SEARCH_INDEX_NAME>-archive) when a scale-out backend is configured.
        "archive": [
            r.reference
            for r in archive.search(world["secretariat"], archive.ArchiveCriteria(text=marker))
        ],
    }
    return stores, table_names


def test_the_marker_is_planted_everywhere_before(world):
    stores, _tables = _everything(world)
    # The scan can see each store (otherwise "found nowhere" would prove nothing).
    for table in [
        "wagtailcore_page",
        "wagtailcore_revision",
        "wagtailcore_pagelogentry",
        "wagtailcore_modellogentry",
        "reversion_version",
        "network_facility",
        "timeline_attachment",
        "timeline_changerequest",
    ]:
        assert table in stores["tables"], table
    assert stores["media"], "the PDF's content"
    if connection.vendor == "sqlite":
        assert stores["database files"], "the database file's bytes"
    assert stores["mail"], "the family's invitation names the family facility"
    assert stores["search"], "the patient page is in the search index"
    assert stores["archive"], "the consent archive lists the patient's registration"
    assert Post.objects.get(pk=world["post"].pk).body == "解熱しました"
    assert Notification.objects.filter(patient=world["patient"]).exists()
    assert SentMail.objects.filter(patients=world["patient"]).count() >= 2


def test_withdrawal_leaves_the_marker_nowhere(world, capsys):
    patient, marker = world["patient"], world["marker"]
    notices = list(Notification.objects.filter(patient=patient).values_list("pk", flat=True))
    assert notices
    tombstone = withdraw_consent(
        patient, by=world["secretariat"], reference="R8-0012", reason="同意撤回書"
    )

    stores, table_names = _everything(world)
    db_files = database_files() if connection.vendor == "sqlite" else []
    print(f"stores scanned for {marker}:")
    print(f"  {len(table_names)} tables (every table of the database): {', '.join(table_names)}")
    for path in db_files:
        print(f"  database file {path.name}: {path.stat().st_size if path.exists() else 0} bytes")
    print(f"  MEDIA_ROOT: {len(tree(world['media']))} entries")
    print(f"  mail directory: {len(tree(world['mail_dir']))} entries")
    print("  Wagtail search index (Page.objects.search)")
    print(f"  consent archive ({'archive index' if archive.index_backend() else 'database'})")
    print(f"  deletion journal: {world['mail_dir'].parent / 'journal'}")
    with capsys.disabled():
        print(capsys.readouterr().out)
    assert stores == {
        "tables": {}, "database files": [], "media": [], "mail": [], "search": [], "archive": []
    }
    assert file_hits(tree(world["mail_dir"].parent / "journal"), marker) == []

    assert not PatientPage.objects.filter(pk=patient.pk).exists()
    assert not Post.objects.filter(patient_id=patient.pk).exists()
    assert not TeamLink.objects.filter(patient_id=patient.pk).exists()
    assert not MemberLink.objects.filter(patient_id=patient.pk).exists()
    assert not type(world["family"]).objects.filter(pk=world["family"].pk).exists()
    assert not Notification.objects.filter(pk__in=notices).exists()
    for model in (Attachment, PostRead, ChangeRequest):
        assert not model.objects.filter(post_id=world["post"].pk).exists()
    # The tombstone: counts, no personal data.
    tombstone.refresh_from_db()
    assert tombstone.counts["posts"] == 1
    assert tombstone.counts["attachments"] == 2 and tombstone.counts["files"] == 3
    assert tombstone.counts["post_versions"] >= 2
    assert tombstone.counts["family_accounts"] == 1
    assert tombstone.counts["mail_copies"] >= 2
    # Search entries: the patient's name, the post and its two attachments in the search
    # app's index (the Wagtail page index adds its own).
    assert tombstone.counts["search_entries"] >= 4, tombstone.counts["search_entries"]
    assert tombstone.reference == "R8-0012"
    # The other patient is untouched, files included.
    other_post = Post.objects.get(patient=world["other"])
    assert other_post.body == "他の患者の記録"
    attachment = other_post.attachments.get()
    assert attachment.file.storage.exists(attachment.file.name)
    assert attachment.thumbnail.storage.exists(attachment.thumbnail.name)


def test_the_database_files_hold_no_deleted_bytes(world):
    if connection.vendor != "sqlite":
        pytest.skip("file bytes are checked on SQLite only: PostgreSQL's files are not the application's to read")
    assert file_hits(database_files(), world["marker"]), "planted"
    withdraw_consent(world["patient"], by=world["secretariat"], reference="R8-0014")
    paths = database_files()
    assert [p.name for p in paths if p.exists()][:1] == [paths[0].name]
    assert file_hits(paths, world["marker"]) == []


def test_the_certificate_goes_to_the_secretariat_and_the_team_without_content(world):
    withdraw_consent(world["patient"], by=world["secretariat"], reference="R8-0013")
    certificates = [
        p for p in tree(world["mail_dir"]) if p.is_file() and b"deletion-certificate-" in p.read_bytes()
    ]
    recipients = set()
    for path in certificates:
        text = path.read_bytes().decode("utf-8", "replace")
        recipients |= {a for a in ("office@example.jp", "admin@station.example.jp") if f"To: {a}" in text}
    assert recipients == {"office@example.jp", "admin@station.example.jp"}
    tombstone = Tombstone.objects.get()
    from erasure.certificate import render_certificate_pdf

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_certificate_pdf(tombstone))).pages)
    assert "削除証明書" in text and str(tombstone.id) in text and "R8-0013" in text
    assert world["marker"] not in text and "見守" not in text
