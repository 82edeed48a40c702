"""Submissions of the online forms: versioned pages in the private 受付 index.

Each submission is a ``Submission`` page below ``SubmissionsIndexPage`` (受付), which sits in
the private tree under ``NetworkRootPage``: the secretariat sees them in the Wagtail admin
(its page permissions on the private root cover them), nobody is ever served one
(``serve`` is a 404 for everyone), and every change is a page revision. The review inbox,
its workflow and the effects of accepting a form read and move ``status``.

The page's title and slug carry only the form and the reference number, never a name.
"""

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from . import definitions

REFERENCE_PREFIX = "MM"


class SubmissionStatus(models.TextChoices):
    RECEIVED = "received", _("受付済み")
    AWAITING_SIGNED = "awaiting_signed", _("署名済み書類の提出待ち")
    UNDER_REVIEW = "under_review", _("審査中")
    NEEDS_CORRECTION = "needs_correction", _("修正依頼中")
    ACCEPTED = "accepted", _("受理")
    REJECTED = "rejected", _("不受理")
    DONE = "done", _("完了")


class ReferenceCounter(models.Model):
    """The last reference number given out in a year: MM-2026-000123."""

    year = models.PositiveIntegerField(_("年"), primary_key=True)
    last = models.PositiveIntegerField(_("最終番号"), default=0)

    class Meta:
        verbose_name = _("受付番号の採番")

    def __str__(self):
        return f"{self.year}: {self.last}"

    @classmethod
    def next_reference(cls, now=None):
        year = timezone.localtime(now or timezone.now()).year
        with transaction.atomic():
            cls.objects.get_or_create(year=year)
            counter = cls.objects.select_for_update().get(year=year)
            counter.last += 1
            counter.save(update_fields=["last"])
        return f"{REFERENCE_PREFIX}-{year}-{counter.last:06d}"


class SubmissionsIndexPage(Page):
    """受付: the private container of all submissions. Never served."""

    parent_page_types = ["network.NetworkRootPage"]
    subpage_types = ["forms.Submission"]
    max_count = 1
    preview_modes = []
    is_creatable = False

    class Meta:
        verbose_name = _("受付（非公開）")

    def serve(self, request, *args, **kwargs):
        raise Http404

    def serve_preview(self, request, mode_name):
        raise Http404


class Submission(Page):
    """One submitted form: its data as JSON, its status and its signed documents."""

    form_number = models.CharField(_("様式"), max_length=10, choices=definitions.NUMBER_CHOICES)
    form_version = models.CharField(_("様式の版"), max_length=32)
    reference = models.CharField(_("受付番号"), max_length=20, unique=True)
    status = models.CharField(
        _("状態"),
        max_length=20,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.AWAITING_SIGNED,
        db_index=True,
    )
    data = models.JSONField(_("入力内容"), encoder=DjangoJSONEncoder, default=dict)
    submitted_at = models.DateTimeField(_("受付日時"), default=timezone.now)
    contact_name = models.CharField(_("担当者氏名"), max_length=100, blank=True)
    contact_email = models.EmailField(_("担当者メールアドレス"), blank=True)
    facility = models.ForeignKey(
        "network.Facility",
        verbose_name=_("施設"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="form_submissions",
        help_text=_("施設の管理画面から提出された場合、または受理で登録された施設。"),
    )
    patient = models.ForeignKey(
        "network.PatientPage",
        verbose_name=_("患者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Review by the secretariat (forms.review): the clerk in charge and when accepting applied
    # the form's effects (set once; accepting again changes nothing more).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    effects_applied_at = models.DateTimeField(_("反映日時"), null=True, blank=True)
    # The applicant's secret: signed into the link mailed to an applicant without account.
    access_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    parent_page_types = ["forms.SubmissionsIndexPage"]
    subpage_types = []
    preview_modes = []
    search_fields = []
    is_creatable = False  # only the online forms create submissions
    content_panels = [
        FieldPanel("status"),
        FieldPanel("reference", read_only=True),
        FieldPanel("form_number", read_only=True),
        FieldPanel("submitted_at", read_only=True),
        FieldPanel("contact_name", read_only=True),
        FieldPanel("contact_email", read_only=True),
        FieldPanel("facility", read_only=True),
        FieldPanel("data", read_only=True),
    ]
    promote_panels = []

    class Meta:
        verbose_name = _("申請")
        verbose_name_plural = _("申請")
        indexes = [models.Index(fields=["form_number", "submitted_at"])]

    def serve(self, request, *args, **kwargs):
        raise Http404

    def serve_preview(self, request, mode_name):
        raise Http404

    @property
    def definition(self):
        return definitions.BY_NUMBER[self.form_number]

    def set_status(self, status, user=None):
        """Move to ``status`` and keep the change as a new revision."""
        self.status = status
        self.save(update_fields=["status"])
        self.save_revision(user=user, log_action=True)


class ReviewComment(models.Model):
    """A clerk's note on a submission, or the message of a correction request or rejection."""

    class Kind(models.TextChoices):
        COMMENT = "comment", _("コメント")
        CORRECTION = "correction", _("修正依頼")
        REJECTION = "rejection", _("不受理の理由")
        TRANSITION = "transition", _("状態の変更")

    submission = models.ForeignKey(
        Submission, verbose_name=_("申請"), on_delete=models.CASCADE, related_name="review_comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("記入者"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("種類"), max_length=16, choices=Kind.choices, default=Kind.COMMENT)
    text = models.TextField(_("内容"), max_length=2000)
    created_at = models.DateTimeField(_("記入日時"), default=timezone.now)

    class Meta:
        verbose_name = _("審査コメント")
        verbose_name_plural = _("審査コメント")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.submission.reference}: {self.get_kind_display()}"


class MailTemplate(models.Model):
    """The secretariat's wording of one flow mail (``forms.notices``), replacing the default.

    Placeholders in braces, e.g. ``{facility}`` or ``{reference}``; only those the mail
    offers are accepted, and none can name a patient.
    """

    key = models.CharField(_("メール"), max_length=40, unique=True)
    subject = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"), max_length=5000)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("メールの文面")
        verbose_name_plural = _("メールの文面")
        ordering = ["key"]

    def __str__(self):
        from .notices import TEMPLATE_LABELS

        return str(TEMPLATE_LABELS.get(self.key, self.key))

    def clean(self):
        from django.core.exceptions import ValidationError

        from .notices import KEYS, placeholder_errors

        super().clean()
        if self.key not in KEYS:
            raise ValidationError({"key": _("このメールは選べません。")})
        errors = {}
        for name in ("subject", "body"):
            message = placeholder_errors(self.key, getattr(self, name))
            if message:
                errors[name] = message
        if errors:
            raise ValidationError(errors)
