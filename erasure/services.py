"""Consent withdrawal (form 7, flow ⑩): one service deletes every trace of a patient.

``withdraw_consent(patient, by=..., reference=...)`` is the only way a patient is
deleted. In one transaction it deletes, through the ORM so that ``post_delete``
signal handlers (search indexes) run:

* the posts and everything hanging off them: attachments, read marks, change
  requests, notifications;
* django-reversion versions of the posts, the team links, the family facility and
  its memberships (and revisions left empty);
* the PatientPage with its Wagtail revisions, page log entries, model log entries
  of the links, workflow states, reference-index rows and editing sessions;
* the patient-family facility, its memberships and the accounts that existed only
  for it (with their sessions, second factors and lockout records);
* the sent-mail log rows attributed to the patient;

and keeps a ``Tombstone`` (certificate number, date, counts, no personal data).
After the commit it deletes the files (attachments, thumbnails, mail copies, the
patient's media folder), appends the tombstone to the deletion journal outside the
database, scrubs the database file (SQLite: FTS indexes merged, WAL checkpointed and
truncated; ``secure_delete`` is on) and mails the deletion certificate.

Callers check permission (``network.access.is_secretariat``) first.
"""

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connections, transaction
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import SentMail, Tombstone, patient_digest

logger = logging.getLogger(__name__)

# What the certificate lists, in this order (key, label).
COUNT_LABELS = [
    ("posts", "投稿"),
    ("post_versions", "投稿の編集履歴（版）"),
    ("attachments", "添付ファイル"),
    ("files", "保存ファイル（添付・サムネイル）"),
    ("read_marks", "既読記録"),
    ("change_requests", "修正・削除の依頼"),
    ("notifications", "お知らせ"),
    ("team_links", "チーム（施設）の記録"),
    ("member_links", "チーム（利用者）の記録"),
    ("link_versions", "チーム・施設の変更履歴（版）"),
    ("family_facilities", "患者・家族施設"),
    ("family_accounts", "患者・家族のアカウント"),
    ("page_revisions", "患者ページの版"),
    ("log_entries", "管理画面の操作記録"),
    ("search_entries", "検索索引の項目"),
    ("mail_copies", "送信メールの控え"),
]


class WithdrawalError(Exception):
    """A withdrawal that cannot run; ``message`` is for the secretariat (Japanese)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class AlreadyWithdrawn(WithdrawalError):
    def __init__(self, tombstone=None):
        if tombstone is not None:
            message = _(
                "この患者の同意撤回はすでに完了しています（%(date)s、削除証明書番号 %(id)s）。"
                "何も変更していません。"
            ) % {"date": timezone.localtime(tombstone.withdrawn_at).strftime("%Y-%m-%d %H:%M"),
                 "id": tombstone.id}
        else:
            message = _("この患者はすでに削除されています。何も変更していません。")
        super().__init__(message)
        self.tombstone = tombstone


@dataclass
class _Plan:
    patient_pk: int
    patient_hex: str
    files: list = field(default_factory=list)
    mail_copies: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)


def _pk_strings(queryset):
    """A subquery of the primary keys as text (generic relations store ids as text)."""
    return queryset.order_by().annotate(_pk_text=Cast("pk", CharField())).values("_pk_text")


def _check_free_text(patient, reference, reason):
    if len(reference) > 50 or len(reason) > 100:
        raise WithdrawalError(_("受付番号は50文字、区分は100文字までにしてください。"))
    for value in (reference, reason):
        for personal in (patient.title, patient.name_kana):
            if personal and value and personal.replace(" ", "").replace("\u3000", "") in value.replace(
                " ", ""
            ).replace("\u3000", ""):
                raise WithdrawalError(
                    _("受付番号・区分に患者の氏名を書かないでください（削除記録に個人情報は残しません）。")
                )


def withdraw_consent(patient_page, *, by, reference="", reason="", deliver=True, _journal_entry=None):
    """Delete ``patient_page`` and every trace of their timeline; return the ``Tombstone``.

    ``reference`` is the form-7 reception number (kept); ``reason`` a short category
    without personal data. Raises ``AlreadyWithdrawn`` if the patient is gone already
    (nothing changes) and ``WithdrawalError`` for unusable input.
    """
    from network.models import PatientPage

    reference = (reference or "").strip()
    reason = (reason or "").strip()
    digest = patient_digest(patient_page.patient_id)
    if _journal_entry is None:
        _check_free_text(patient_page, reference, reason)
    with transaction.atomic():
        patient = PatientPage.objects.select_for_update().filter(pk=patient_page.pk).first()
        existing = Tombstone.objects.filter(patient_digest=digest).first()
        if patient is None:
            raise AlreadyWithdrawn(existing)
        if existing is not None and _journal_entry is None:
            raise AlreadyWithdrawn(existing)
        plan = _purge(patient)
        facility_ids = plan.counts.pop("_facility_ids")
        now = timezone.now()
        if _journal_entry is not None:
            tombstone = _tombstone_from_journal(_journal_entry)
            tombstone.reapplied_at = now
            tombstone.save()
        else:
            tombstone = Tombstone.objects.create(
                patient_digest=digest,
                withdrawn_at=now,
                reference=reference,
                reason=reason,
                by_user_id=getattr(by, "pk", None),
                counts=plan.counts,
                facility_ids=facility_ids,
            )
        from audit import log as audit_log

        audit_log.record(
            "patient.consent_withdrawn" if _journal_entry is None else "patient.withdrawal_reapplied",
            actor=by,
            target=tombstone,
            patient=patient,
            reference=reference,
        )
        first_time = _journal_entry is None
        transaction.on_commit(lambda: _after_commit(plan, tombstone, first_time, deliver and first_time))
    return tombstone


def _purge(patient):
    """Delete the patient and all that hangs off them; return what to do after commit."""
    from wagtail.admin.models import EditingSession
    from wagtail.models import ModelLogEntry, Page, PageLogEntry, ReferenceIndex
    from wagtail.models import Revision as PageRevision

    from reversion.models import Revision, Version

    from network.models import (
        Facility,
        FacilityKind,
        FacilityMembership,
        MemberLink,
        PatientPage,
        TeamLink,
    )
    from timeline.models import Attachment, ChangeRequest, Notification, Post, PostRead

    User = get_user_model()
    plan = _Plan(patient_pk=patient.pk, patient_hex=patient.patient_id.hex)
    counts = plan.counts

    posts = Post.objects.filter(patient=patient)
    attachments = Attachment.objects.filter(post__patient=patient)
    team_links = TeamLink.objects.filter(patient=patient)
    member_links = MemberLink.objects.filter(patient=patient)
    family_facilities = Facility.objects.filter(family_of=patient)
    family_memberships = FacilityMembership.objects.filter(facility__family_of=patient)
    family_user_ids = family_memberships.values("user_id")
    elsewhere = FacilityMembership.objects.filter(user_id__in=family_user_ids).exclude(
        facility__family_of=patient
    )
    family_users = (
        User.objects.filter(pk__in=family_user_ids)
        .exclude(pk__in=elsewhere.values("user_id"))
        .exclude(Q(is_superuser=True) | Q(is_staff=True) | Q(groups__isnull=False))
    )
    family_user_list = list(family_users.values_list("pk", "email"))

    counts["_facility_ids"] = sorted(
        set(
            team_links.exclude(facility__kind=FacilityKind.FAMILY).values_list("facility_id", flat=True)
        )
    )
    counts["posts"] = posts.count()
    counts["attachments"] = attachments.count()
    for file_name, thumbnail in attachments.values_list("file", "thumbnail"):
        plan.files += [name for name in (file_name, thumbnail) if name]
    counts["files"] = len(plan.files)
    counts["read_marks"] = PostRead.objects.filter(post__patient=patient).count()
    counts["change_requests"] = ChangeRequest.objects.filter(post__patient=patient).count()
    counts["notifications"] = Notification.objects.filter(
        Q(patient=patient) | Q(post__patient=patient)
    ).count()
    counts["team_links"] = team_links.count()
    counts["member_links"] = member_links.count()
    counts["family_facilities"] = family_facilities.count()
    counts["family_accounts"] = len(family_user_list)

    # django-reversion: versions of everything deleted, and revisions left empty.
    ct = ContentType.objects.get_for_model
    targets = {
        "post_versions": [(ct(Post), posts)],
        "link_versions": [
            (ct(TeamLink), team_links),
            (ct(MemberLink), member_links),
            (ct(Facility), family_facilities),
            (ct(FacilityMembership), family_memberships),
        ],
    }
    all_targets = Q(pk__in=[])
    for key, pairs in targets.items():
        q = Q(pk__in=[])
        for content_type, queryset in pairs:
            q |= Q(content_type=content_type, object_id__in=_pk_strings(queryset))
        counts[key] = Version.objects.filter(q).count()
        all_targets |= q
    touched = Version.objects.filter(all_targets).values("revision_id")
    shared = Version.objects.filter(revision_id__in=touched).exclude(all_targets).values("revision_id")
    Revision.objects.filter(pk__in=touched).exclude(pk__in=shared).delete()
    Version.objects.filter(all_targets).delete()

    # Wagtail: log entries of the links, facility, memberships and accounts; page log entries.
    model_targets = Q(pk__in=[])
    for content_type, queryset in targets["link_versions"] + [(ct(User), family_users)]:
        model_targets |= Q(content_type=content_type, object_id__in=_pk_strings(queryset))
    log_entries = ModelLogEntry.objects.filter(model_targets).count()
    ModelLogEntry.objects.filter(model_targets).delete()

    # Mail copies attributed to the patient.
    mails = SentMail.objects.filter(patients=patient)
    plan.mail_copies = [path for path in mails.values_list("copy_path", flat=True) if path]
    counts["mail_copies"] = mails.count()
    SentMail.objects.filter(pk__in=list(mails.values_list("pk", flat=True))).delete()

    # Rows, through the ORM (post_delete handlers of search indexes run).
    search_before = _search_entry_count()
    Attachment.objects.filter(post__patient=patient).delete()
    Notification.objects.filter(Q(patient=patient) | Q(post__patient=patient)).delete()
    posts.delete()
    page_ct, patient_ct = ct(Page), ct(PatientPage)
    page_key = str(patient.pk)
    page_revisions = PageRevision.objects.filter(
        base_content_type=page_ct, object_id=page_key
    )
    counts["page_revisions"] = page_revisions.count()
    patient.delete()  # Wagtail's DeletePageAction: cascades links, family facility, memberships
    page_revisions.delete()
    page_logs = PageLogEntry.objects.filter(page_id=plan.patient_pk)
    counts["log_entries"] = log_entries + page_logs.count()
    page_logs.delete()
    for content_type in (page_ct, patient_ct):
        ReferenceIndex.objects.filter(
            Q(base_content_type=content_type, object_id=page_key)
            | Q(to_content_type=content_type, to_object_id=page_key)
        ).delete()
        EditingSession.objects.filter(content_type=content_type, object_id=page_key).delete()
    _delete_accounts([pk for pk, _email in family_user_list], [email for _pk, email in family_user_list])
    counts["search_entries"] = max(0, search_before - _search_entry_count())
    return plan


def _search_entry_count():
    """Entries of the search app's index (whichever backend holds it) and of Wagtail's page index."""
    from search.backends import get_backend

    total = get_backend().count()
    try:
        from wagtail.search.models import IndexEntry
    except ImportError:  # pragma: no cover - depends on the search backend installed
        return total
    return total + IndexEntry.objects.count()


def _delete_accounts(user_ids, emails):
    """Family accounts that existed only for this patient: the person, their sessions, lockouts."""
    if not user_ids:
        return
    from django.contrib.sessions.models import Session

    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    wanted = {str(pk) for pk in user_ids}
    stale = [
        s.pk for s in Session.objects.all().iterator() if s.get_decoded().get("_auth_user_id") in wanted
    ]
    Session.objects.filter(pk__in=stale).delete()
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__in=emails).delete()
    get_user_model().objects.filter(pk__in=user_ids).delete()


def _tombstone_from_journal(entry):
    tombstone = Tombstone.objects.filter(pk=entry["id"]).first() or Tombstone(id=entry["id"])
    tombstone.patient_digest = entry["patient_digest"]
    tombstone.withdrawn_at = entry["withdrawn_at"]
    tombstone.reference = entry.get("reference", "")
    tombstone.reason = entry.get("reason", "")
    tombstone.by_user_id = entry.get("by_user_id")
    tombstone.counts = entry.get("counts", {})
    tombstone.facility_ids = entry.get("facility_ids", [])
    return tombstone


# --- After the commit --------------------------------------------------------------------


def _after_commit(plan, tombstone, journal, deliver):
    if journal:
        append_to_journal(tombstone)
    remove_files(plan.files, prefix=f"attachments/{plan.patient_hex}")
    _shred([Path(path) for path in plan.mail_copies])
    scrub_database()
    if deliver:
        from .delivery import deliver_certificate

        deliver_certificate(tombstone)


def _shred(paths):
    """Overwrite files with zeros, flush them to disk once, then unlink them.

    Best effort: on journaling or copy-on-write file systems and SSDs old blocks may
    survive; encrypting the disk (see docs/operations.md) is what covers that.
    """
    overwritten = []
    for path in paths:
        try:
            size = path.stat().st_size
            with open(path, "r+b") as handle:
                for offset in range(0, size, 1 << 20):
                    handle.write(b"\0" * min(1 << 20, size - offset))
            overwritten.append(path)
        except (FileNotFoundError, IsADirectoryError):
            continue
    if overwritten and hasattr(os, "sync"):
        os.sync()
    for path in overwritten:
        path.unlink(missing_ok=True)
    return len(overwritten)


def remove_files(names, *, prefix=None, storage=None):
    """Delete stored files (overwritten first on local disk), then whatever is left under ``prefix``."""
    storage = storage or default_storage
    local = isinstance(storage, FileSystemStorage)
    names = list(names)
    if prefix and storage.exists(prefix):
        _directories, files = storage.listdir(prefix)
        names += [f"{prefix}/{name}" for name in files]
    names = list(dict.fromkeys(names))
    if not local:
        for name in names:
            storage.delete(name)
        return
    _shred([Path(storage.path(name)) for name in names])
    if prefix:
        folder = Path(storage.path(prefix))
        if folder.is_dir():
            _shred([child for child in folder.rglob("*") if child.is_file()])
            for child in sorted(folder.rglob("*"), reverse=True):
                child.rmdir()
            folder.rmdir()


def scrub_database(using="default"):
    """Leave no deleted bytes in the database files (SQLite); return what was done.

    ``secure_delete`` overwrites freed content in the main file; FTS5 indexes keep
    deleted terms in old segments until merged, so they are optimised; the WAL holds
    earlier page images until a checkpoint, so it is checkpointed and truncated.
    PostgreSQL reuses space after VACUUM and is not a file this code can inspect.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return {"vendor": connection.vendor}
    done = {"vendor": "sqlite"}
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        done["secure_delete"] = bool(cursor.fetchone()[0])
        if not done["secure_delete"]:
            cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'"
        )
        fts = [row[0] for row in cursor.fetchall()]
        for name in fts:
            quoted = connection.ops.quote_name(name)
            cursor.execute(f"INSERT INTO {quoted}({quoted}) VALUES('optimize')")  # noqa: S608
        done["fts_optimized"] = fts
        if not done["secure_delete"] and not connection.in_atomic_block:
            cursor.execute("VACUUM")
        if connection.in_atomic_block:
            # Only outside every transaction can the WAL be checkpointed (never in production
            # use: this runs after the outermost commit).
            done["checkpoint"] = "skipped: inside a transaction"
        else:
            done["checkpoint"] = checkpoint(cursor)
    return done


def checkpoint(cursor, attempts=10):
    """PRAGMA wal_checkpoint(TRUNCATE), retried while readers hold old snapshots."""
    import time

    for attempt in range(attempts):
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, log_frames, checkpointed = cursor.fetchone()
        if not busy:
            return {"busy": 0, "frames": log_frames, "checkpointed": checkpointed}
        time.sleep(0.05 * (attempt + 1))
    logger.warning("WAL checkpoint still busy after %s attempts", attempts)
    return {"busy": busy, "frames": log_frames, "checkpointed": checkpointed}


# --- The deletion journal outside the database ---------------------------------------------


def journal_path():
    return Path(settings.ERASURE_JOURNAL_PATH)


def append_to_journal(tombstone, path=None):
    path = Path(path or journal_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(tombstone.journal_line(), ensure_ascii=False, sort_keys=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_journal(path=None):
    """Journal entries by certificate number (later lines win)."""
    path = Path(path or journal_path())
    entries = {}
    if not path.exists():
        return entries
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            entries[entry["id"]] = entry
        except (ValueError, KeyError) as exc:
            raise ValidationError(f"deletion journal line {number} is damaged") from exc
    return entries


def merge_database_into_journal(path=None):
    """Tombstones in the database that the journal lacks (a crash between commit and append)."""
    known = read_journal(path)
    added = 0
    for tombstone in Tombstone.objects.exclude(pk__in=list(known)):
        append_to_journal(tombstone, path)
        added += 1
    return added


def reapply_journal(path=None):
    """After a restore: delete again every patient the journal lists; return (purged, recorded)."""
    from network.models import PatientPage

    entries = read_journal(path)
    by_digest = {entry["patient_digest"]: entry for entry in entries.values()}
    purged = 0
    for pk, patient_id in PatientPage.objects.values_list("pk", "patient_id"):
        entry = by_digest.get(patient_digest(patient_id))
        if entry is not None:
            withdraw_consent(PatientPage.objects.get(pk=pk), by=None, _journal_entry=entry)
            purged += 1
    recorded = 0
    for entry in entries.values():
        if not Tombstone.objects.filter(pk=entry["id"]).exists():
            Tombstone.objects.filter(patient_digest=entry["patient_digest"]).delete()
            _tombstone_from_journal(entry).save()
            recorded += 1
    return purged, recorded
