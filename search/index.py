"""Keeping the index up to date: called by the timeline's write path and by signals.

``index_post`` is called inside the transaction that writes the post, so a post and
its entry commit (or roll back) together. Deletions need no call for the database
backend (foreign keys cascade and the FTS triggers follow); the signal handlers
still tell every backend, so an external index (Elasticsearch) forgets too.
"""

from django.db import transaction

from .backends import get_backend
from .documents import attachment_docs, page_docs, patient_docs, post_docs, private_root_paths
from .models import EntryKind


def index_post(post):
    get_backend().replace(EntryKind.POST, post.pk, post_docs(post))
    if post.deleted_at is not None:
        for attachment_id in post.attachments.values_list("pk", flat=True):
            get_backend().delete(EntryKind.ATTACHMENT, attachment_id)


def index_new_post(post):
    """A post just created has no entry yet: insert only."""
    docs = post_docs(post)
    if docs:
        get_backend().add_many(docs)


def index_attachment(attachment):
    get_backend().replace(EntryKind.ATTACHMENT, attachment.pk, attachment_docs(attachment))


def index_patient(patient):
    get_backend().replace(EntryKind.PATIENT, patient.pk, patient_docs(patient))


def index_page(page):
    get_backend().replace(EntryKind.PAGE, page.pk, page_docs(page))


def remove(kind, target_id):
    get_backend().delete(kind, target_id)


def rebuild(stdout=None, batch_size=500):
    """Drop and rebuild the whole index from the database (``manage.py rebuild_search``),
    and the consent archive's index when the backend has one (``counts["archive"]``)."""
    from wagtail.models import Page

    from network.models import PatientPage
    from timeline.models import Attachment, Post

    backend = get_backend()
    counts = {}
    with transaction.atomic():
        backend.clear()
        docs = []

        def flush(force=False):
            if docs and (force or len(docs) >= batch_size):
                backend.add_many(docs)
                docs.clear()

        n = 0
        for post in Post.objects.live().order_by("pk").iterator(chunk_size=2000):
            docs.extend(post_docs(post))
            n += 1
            flush()
        counts["posts"] = n
        n = 0
        for attachment in (
            Attachment.objects.filter(post__deleted_at__isnull=True).select_related("post").order_by("pk")
        ).iterator(chunk_size=500):
            docs.extend(attachment_docs(attachment))
            n += 1
            flush()
        counts["attachments"] = n
        n = 0
        for patient in PatientPage.objects.live().order_by("pk").iterator(chunk_size=2000):
            docs.extend(patient_docs(patient))
            n += 1
            flush()
        counts["patients"] = n
        paths = private_root_paths()
        n = 0
        for page in Page.objects.live().filter(depth__gt=1).order_by("pk").iterator(chunk_size=500):
            page_documents = page_docs(page, paths)
            docs.extend(page_documents)
            n += bool(page_documents)
            flush()
        counts["pages"] = n
        flush(force=True)
    # The consent archive's own index, when the backend keeps one (scale-out only).
    from . import archive

    archive_count = archive.rebuild(batch_size=batch_size)
    if archive_count is not None:
        counts["archive"] = archive_count
    return counts
