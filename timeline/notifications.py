"""Notifications: in-app notices and e-mails that never carry medical content.

An e-mail says only that there is something new and where to look; no patient
name, no post text (carrier filters and shared inboxes are not private). Sending
goes through django-tasks, after the transaction commits, with retries.
"""

import logging
import time

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from django_tasks import task

from erasure.mail import attribute
from network import access

from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)
SEND_ATTEMPTS = 3


def enqueue_with_transaction(task, **kwargs):
    """Queue ``task`` for the writes that cause it.

    A queue kept in the database (the production worker) takes the task row inside the
    current transaction: the post and the task to mail about it commit together, in one
    disk sync, and never one without the other. Any other backend (the embedded
    immediate one would send mail while the transaction holds the database) runs
    after the commit.
    """
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    if isinstance(task_backends[task.backend], DatabaseBackend):
        task.enqueue(**kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(**kwargs))


def notify(users, patient, kind, post=None, readers=None):
    """Create in-app notices for ``users`` (only those who may read ``patient``) and mail them.

    Returns the number of notices made.

    ``users`` are users or ``access.TeamMember`` rows (anything with ``pk``).
    ``readers`` may pass ``access.readers_of(patient)`` when the caller has it already.
    """
    return _notify([(user, kind) for user in users], patient, post, readers)


def _insert_notices(rows, patient, post):
    """Insert ``[(user id, kind)]`` as unread notices with one prepared statement.

    A post notifies its whole team (40 people on a busy patient) inside the request:
    ``bulk_create`` spent about 4 ms building 40 model instances and a 280-parameter
    ``INSERT ... RETURNING``, against 0.8 ms for this (bench/timeline.py). No signals
    are lost: ``bulk_create`` sends none either.
    """
    meta = Notification._meta
    columns = [meta.get_field(name).column for name in ("user", "patient", "post", "kind", "created_at")]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    post_id = post.pk if post is not None else None
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} "  # noqa: S608 (metadata names)
        f"({', '.join(connection.ops.quote_name(c) for c in columns)}) VALUES (%s, %s, %s, %s, %s)"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(user_id, patient.pk, post_id, str(kind), now) for user_id, kind in rows])


def _notify(recipients, patient, post, readers):
    """Notices for ``[(user, kind)]``: one insert, one preference query, one mail task.

    Returns the number of notices made.
    """
    allowed = access.readers_of(patient) if readers is None else readers
    recipients = [(u, kind) for u, kind in recipients if u.pk in allowed]
    if not recipients:
        return 0
    _insert_notices([(u.pk, kind) for u, kind in recipients], patient, post)
    user_ids = [u.pk for u, _kind in recipients]
    preferences = email_preferences(user_ids)
    immediate = [pk for pk in user_ids if preferences[pk] == NotificationPreference.Email.IMMEDIATE]
    if immediate:
        enqueue_with_transaction(send_immediate_notices, user_ids=immediate)
    from . import push

    if push.enabled():
        enqueue_with_transaction(push.send_push, user_ids=user_ids)
    return len(recipients)


def notify_new_post(post):
    """Everyone who may read the patient, except the author, hears of a new post.

    Those @-mentioned get a mention notice instead of the new-post one.
    """
    from .mentions import handles_for, mentioned_users

    team = access.team_of(post.patient)
    readers = {member.pk for member in team}
    # One entry per person (someone may act for two facilities of the team).
    users = list({m.pk: m for m in team if m.pk != post.author_id}.values())
    mentioned_ids = {u.pk for u in mentioned_users(post.body, handles_for(users))}
    kind = Notification.Kind.ACK_REQUEST if post.ack_requested else Notification.Kind.NEW_POST
    recipients = [(u, Notification.Kind.MENTION if u.pk in mentioned_ids else kind) for u in users]
    # Mentions first, as before: the notice list shows them in that order.
    recipients.sort(key=lambda pair: pair[1] != Notification.Kind.MENTION)
    return _notify(recipients, post.patient, post, readers)


def email_preferences(user_ids):
    """{user id: e-mail preference} in one query; immediate unless chosen otherwise."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids).values_list("user_id", "email")
    )
    return {pk: chosen.get(pk, NotificationPreference.Email.IMMEDIATE) for pk in user_ids}


def mark_patient_read(user, patient):
    Notification.objects.filter(user=user, patient=patient, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def _message(user, count):
    context = {
        "user": user,
        "count": count,
        "url": settings.SITE_BASE_URL.rstrip("/") + reverse("timeline:notifications"),
    }
    # In the site's language, not the poster's (the mail may be sent during their request).
    with translation.override(settings.LANGUAGE_CODE):
        subject = settings.EMAIL_SUBJECT_PREFIX + _("新しいお知らせがあります")
        body = render_to_string("timeline/email/notice.txt", context)
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def _send_all(messages):
    """Send over one connection; on a failure, retry what is left (3 attempts, backing off)."""
    remaining = list(messages)
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            with get_connection() as connection:
                while remaining:
                    connection.send_messages([remaining[0]])
                    remaining.pop(0)
            return []
        except OSError:
            logger.warning("notice mail failed (attempt %s), %s left", attempt, len(remaining))
            if attempt < SEND_ATTEMPTS:
                time.sleep(2**attempt)
    return remaining


def _mail_pending(user_ids, *, mode):
    """One content-free mail per user for their notices not yet mailed."""
    from django.contrib.auth import get_user_model

    preferences = email_preferences(list(user_ids))
    wanted = [pk for pk, mode_ in preferences.items() if mode_ == mode]
    pending, about = {}, {}
    for pk, user_id, patient_id in (
        Notification.objects.filter(
            user_id__in=wanted, emailed_at__isnull=True, read_at__isnull=True
        )
        .order_by()
        .values_list("pk", "user_id", "patient_id")
    ):
        pending.setdefault(user_id, []).append(pk)
        about.setdefault(user_id, set()).add(patient_id)
    users = list(get_user_model().objects.filter(pk__in=pending, is_active=True))
    # Attributed (not in the mail) so that a consent withdrawal deletes the copies.
    messages = {
        user.pk: attribute(_message(user, len(pending[user.pk])), about[user.pk]) for user in users
    }
    failed = {id(m) for m in _send_all(messages.values())}
    mailed = [pk for user_pk, m in messages.items() if id(m) not in failed for pk in pending[user_pk]]
    if mailed:
        Notification.objects.filter(pk__in=mailed).update(emailed_at=timezone.now())
    return len(messages) - len(failed)


@task()
def send_immediate_notices(user_ids):
    return _mail_pending(user_ids, mode=NotificationPreference.Email.IMMEDIATE)


@task()
def send_daily_digests():
    """For users who chose a daily summary; run once a day (``manage.py send_digests``)."""
    user_ids = (
        Notification.objects.filter(emailed_at__isnull=True, read_at__isnull=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    return _mail_pending(list(user_ids), mode=NotificationPreference.Email.DAILY)
