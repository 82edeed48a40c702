"""Writing to a timeline: post, edit with an optimistic lock, delete, mark as read.

Callers have checked access through ``network.access``; these functions check
only what is about the post itself (authorship, the version being edited).
"""

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

import reversion
from reversion.models import Version

from search import index as search_index
from search.models import EntryKind as SearchKind

from .models import Attachment, ChangeRequest, Notification, Post, PostRead
from .notifications import notify, notify_new_post

STRUCTURED_FIELDS = ["next_visit_date", "plan_change", "care_cautions"]


class EditConflict(Exception):
    """The post changed since the editor opened it; nothing was saved."""


def create_post(author, patient, facility, job_title, data, uploads=()):
    """A new post with its checked uploads (``documents.uploads.CheckedUpload``).

    Files are written inside the transaction; if it fails they are removed again,
    so a failed post leaves nothing on disk.
    """
    written = []
    try:
        # No savepoint: a caller's transaction (the view's, with the audit entry) fails
        # as a whole when the post does, which is what it wants.
        with transaction.atomic(savepoint=False), reversion.create_revision(atomic=False):
            reversion.set_user(author)
            post = Post.objects.create(
                patient=patient,
                author=author,
                facility=facility,
                author_job_title=job_title,
                body=data.get("body", ""),
                ack_requested=bool(data.get("ack_requested")),
                **{name: data.get(name) or _empty(name) for name in STRUCTURED_FIELDS},
            )
            for upload in uploads:
                _attach(post, upload, written)
            notify_new_post(post)
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise
    return post


def _empty(name):
    return None if name == "next_visit_date" else ""


def _attach(post, upload, written):
    attachment = Attachment(
        post=post,
        kind=upload.kind,
        content_type=upload.content_type,
        extension=upload.extension,
        display_name=upload.display_name,
        size=len(upload.content),
        sha256=upload.sha256,
        width=upload.width,
        height=upload.height,
    )
    attachment.file.save("upload", ContentFile(upload.content), save=False)
    written.append((attachment.file.storage, attachment.file.name))
    if upload.thumbnail:
        attachment.thumbnail.save("thumb", ContentFile(upload.thumbnail), save=False)
        written.append((attachment.thumbnail.storage, attachment.thumbnail.name))
    attachment.save()
    return attachment


def edit_post(post, editor, data, expected_version):
    """Save an edit if nobody changed the post since ``expected_version``; keep the old text."""
    if post.author_id != editor.pk or post.is_deleted:
        raise PermissionError
    now = timezone.now()
    fields = {"body": data.get("body", "")}
    fields.update({name: data.get(name) or _empty(name) for name in STRUCTURED_FIELDS})
    with transaction.atomic(), reversion.create_revision(atomic=False):
        if not Version.objects.get_for_object(post).exists():
            # Posts made before history existed get their first version now.
            reversion.add_to_revision(post)
        updated = Post.objects.filter(
            pk=post.pk, version=expected_version, deleted_at__isnull=True
        ).update(**fields, edited_at=now, version=F("version") + 1)
        if not updated:
            raise EditConflict
        post.refresh_from_db()
        reversion.set_user(editor)
        reversion.add_to_revision(post)
        search_index.index_post(post)  # the edited text replaces the old in the same transaction
    return post


def delete_post(post, user):
    """Leave a placeholder with author and time; the text, history and files are gone."""
    if post.author_id != user.pk:
        raise PermissionError
    with transaction.atomic():
        files = []
        for attachment in post.attachments.all():
            files += [(f.storage, f.name) for f in (attachment.file, attachment.thumbnail) if f]
        post.attachments.all().delete()
        Version.objects.get_for_object(post).delete()
        # Notices of a deleted post point at nothing; they would keep an unread count alive.
        Notification.objects.filter(post=post).delete()
        Post.objects.filter(pk=post.pk).update(
            body="",
            next_visit_date=None,
            plan_change="",
            care_cautions="",
            ack_requested=False,
            deleted_at=timezone.now(),
            version=F("version") + 1,
        )
        search_index.remove(SearchKind.POST, post.pk)  # attachment entries went with their rows

        def remove_files():
            for storage, name in files:
                storage.delete(name)

        transaction.on_commit(remove_files)
    post.refresh_from_db()
    return post


def mark_read(user, posts):
    """Record that ``user`` has seen ``posts`` (own posts are not counted)."""
    rows = [PostRead(post=p, user=user) for p in posts if p.author_id != user.pk and not p.is_deleted]
    if rows:
        PostRead.objects.bulk_create(rows, ignore_conflicts=True)


def read_counts(post_ids):
    """{post id: number of readers} in one query."""
    return dict(
        PostRead.objects.filter(post_id__in=post_ids)
        .values_list("post_id")
        .annotate(n=Count("id"))
        .values_list("post_id", "n")
    )


def unread_counts(user, patient_ids):
    """{patient id: new things for ``user`` since they last opened that timeline}, one query.

    Counted from the user's unread notices (an index on user, read_at, patient), not
    by scanning every post for a missing read mark: the cost follows what is new for
    this user, not the size of their patients' timelines.
    """
    return dict(
        Notification.objects.filter(
            user=user, read_at__isnull=True, patient_id__in=patient_ids
        )
        .values_list("patient_id")
        .annotate(n=Count("id"))
        .values_list("patient_id", "n")
    )


def request_change(post, requester, kind, reason):
    """The patient or family ask the author to edit or delete ``post``; the author is told."""
    with transaction.atomic():
        change = ChangeRequest.objects.create(post=post, requester=requester, kind=kind, reason=reason)
        notify([post.author], post.patient, Notification.Kind.CHANGE_REQUEST, post=post)
    return change


def answer_change_request(change, author, accept, reply=""):
    """The author acts (for a deletion request: deletes the post) or declines; the requester is told."""
    if change.post.author_id != author.pk or change.status != ChangeRequest.Status.OPEN:
        raise PermissionError
    with transaction.atomic():
        if accept and change.kind == ChangeRequest.Kind.DELETE:
            delete_post(change.post, author)
        change.status = ChangeRequest.Status.DONE if accept else ChangeRequest.Status.DECLINED
        change.reply = reply
        change.resolved_at = timezone.now()
        change.save(update_fields=["status", "reply", "resolved_at"])
        notify([change.requester], change.post.patient, Notification.Kind.REQUEST_ANSWERED, post=change.post)
    return change
