"""Posts on a patient's timeline, their attachments and who has read them."""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_BODY_CHARS = 10_000


def _attachment_path(instance, filename):
    # Random names only: neither the patient's name nor the user's file name reach the disk.
    return f"attachments/{instance.post.patient.patient_id.hex}/{uuid.uuid4().hex}{instance.extension}"


def _thumbnail_path(instance, filename):
    return f"attachments/{instance.post.patient.patient_id.hex}/{uuid.uuid4().hex}.thumb.jpg"


def _private_storage():
    """Attachments live in the default storage but are never given a public URL.

    They are served only by ``timeline.views.attachment`` after the access check.
    """
    return storages["default"]


class PostQuerySet(models.QuerySet):
    def for_patient(self, patient):
        return self.filter(patient=patient)

    def live(self):
        return self.filter(deleted_at__isnull=True)

    def structured(self):
        return self.filter(
            Q(next_visit_date__isnull=False) | ~Q(plan_change="") | ~Q(care_cautions="")
        )


class Post(models.Model):
    """One entry on a patient's timeline, written by a team member as one of their facilities."""

    patient = models.ForeignKey(
        "network.PatientPage", verbose_name=_("患者"), on_delete=models.CASCADE, related_name="posts"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("投稿者"), on_delete=models.PROTECT, related_name="posts"
    )
    facility = models.ForeignKey(
        "network.Facility", verbose_name=_("所属施設"), on_delete=models.PROTECT, related_name="posts"
    )
    author_job_title = models.CharField(_("職種"), max_length=50, blank=True)
    body = models.TextField(_("本文"), max_length=MAX_BODY_CHARS, blank=True)
    next_visit_date = models.DateField(_("次回訪問日"), null=True, blank=True)
    plan_change = models.TextField(_("治療方針の変更"), max_length=2000, blank=True)
    care_cautions = models.TextField(_("ケア上の注意点"), max_length=2000, blank=True)
    ack_requested = models.BooleanField(_("確認をお願いする"), default=False)
    created_at = models.DateTimeField(_("投稿日時"), auto_now_add=True)
    edited_at = models.DateTimeField(_("編集日時"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("削除日時"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock: +1 on every edit.")

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("投稿")
        verbose_name_plural = _("投稿")
        # Newest first. Ids grow with time, so the id is the paging cursor.
        ordering = ["-id"]
        indexes = [models.Index(fields=["patient", "-id"], name="post_timeline_idx")]

    def __str__(self):
        return f"Post {self.pk}"

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @property
    def is_structured(self):
        return bool(self.next_visit_date or self.plan_change or self.care_cautions)


class Attachment(models.Model):
    """A checked photo or PDF of a post (see ``documents.uploads``)."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("写真")
        PDF = "pdf", _("PDF")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to=_attachment_path, storage=_private_storage, max_length=200)
    thumbnail = models.FileField(
        upload_to=_thumbnail_path, storage=_private_storage, max_length=200, blank=True
    )
    content_type = models.CharField(max_length=50)
    extension = models.CharField(max_length=8)
    display_name = models.CharField(_("ファイル名"), max_length=120)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("添付ファイル")
        verbose_name_plural = _("添付ファイル")
        ordering = ["id"]

    def __str__(self):
        return self.display_name


class PostRead(models.Model):
    """``user`` has had ``post`` on screen: the read receipt that stays with the record."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="postread_once")]
        indexes = [models.Index(fields=["user", "post"])]

    def __str__(self):
        return f"{self.user_id} read {self.post_id}"


class ChangeRequest(models.Model):
    """The patient or family ask a post's author to edit or delete it, with a reason."""

    class Kind(models.TextChoices):
        EDIT = "edit", _("修正のお願い")
        DELETE = "delete", _("削除のお願い")

    class Status(models.TextChoices):
        OPEN = "open", _("回答待ち")
        DONE = "done", _("対応済み")
        DECLINED = "declined", _("お断り")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="change_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("依頼者")
    )
    kind = models.CharField(_("依頼の種類"), max_length=10, choices=Kind.choices)
    reason = models.TextField(_("理由"), max_length=1000)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.OPEN)
    reply = models.TextField(_("回答"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("修正・削除の依頼")
        verbose_name_plural = _("修正・削除の依頼")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class Notification(models.Model):
    """Something new for ``user`` on ``patient``'s timeline. Shown in the app; mailed without content."""

    class Kind(models.TextChoices):
        NEW_POST = "new_post", _("新しい投稿")
        ACK_REQUEST = "ack_request", _("確認のお願い")
        MENTION = "mention", _("あなた宛ての投稿")
        CHANGE_REQUEST = "change_request", _("修正・削除の依頼")
        REQUEST_ANSWERED = "request_answered", _("依頼への回答")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(
        "network.PatientPage", on_delete=models.CASCADE, related_name="notifications"
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "patient"], name="notice_unread_idx"),
            models.Index(fields=["user", "patient"], name="notice_user_patient_idx"),
            # Finding the notices still to be mailed without scanning every unread one.
            models.Index(fields=["user", "emailed_at", "read_at"], name="notice_unmailed_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.user_id}"


class NotificationPreference(models.Model):
    """How a user wants to hear about new things by e-mail (in-app notices are always kept)."""

    class Email(models.TextChoices):
        IMMEDIATE = "immediate", _("すぐに知らせる")
        DAILY = "daily", _("1日1回まとめて知らせる")
        OFF = "off", _("メールでは知らせない")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.CharField(
        _("メールでのお知らせ"), max_length=10, choices=Email.choices, default=Email.IMMEDIATE
    )

    def __str__(self):
        return f"{self.user_id}: {self.email}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription; messages say only that something is new."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"push {self.pk} of {self.user_id}"
