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
