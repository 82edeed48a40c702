"""Stored signed documents: scans of signed forms, with digest and system signature."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _stored_name(instance, filename):
    # A random name: the applicant's file name is kept only as ``display_name``.
    return f"signed/{instance.signed_at:%Y}/{uuid.uuid4().hex}{instance.extension}"


class SignedDocument(models.Model):
    """One uploaded scan of a signed form.

    ``sha256`` is the digest of the stored bytes; ``signature`` is the system's Ed25519
    signature over (digest, submission reference, ``signed_at``), see
    ``documents.signing``. ``manage.py verify_documents`` recomputes both.
    """

    submission = models.ForeignKey(
        "forms.Submission",
        verbose_name=_("申請"),
        on_delete=models.CASCADE,
        related_name="signed_documents",
    )
    file = models.FileField(_("ファイル"), upload_to=_stored_name, max_length=200)
    display_name = models.CharField(_("ファイル名"), max_length=120)
    content_type = models.CharField(_("種類"), max_length=40)
    extension = models.CharField(max_length=8)
    size = models.PositiveBigIntegerField(_("サイズ"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    signature = models.CharField(_("署名（Ed25519）"), max_length=120)
    key_id = models.CharField(_("署名鍵ID"), max_length=16)
    signed_at = models.DateTimeField(_("署名日時"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("署名済み書類")
        verbose_name_plural = _("署名済み書類")
        ordering = ["signed_at", "pk"]

    def __str__(self):
        return f"{self.submission.reference} {self.display_name}"
