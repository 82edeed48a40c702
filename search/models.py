"""The search index: one row per indexed piece of text, with its n-gram tokens.

Rows point at what they index (post, attachment, patient or public page) with
cascading foreign keys, so deleting any of those through the ORM (the consent
withdrawal purge included) deletes their rows. The full-text index over
``bigrams``/``unigrams`` is vendor-specific and created in migration 0002:

* SQLite: an FTS5 table ``search_fts`` with this table as its external content,
  kept in step by triggers (insert, delete, update), whatever deletes the row.
* PostgreSQL: a generated ``tsv`` column (``to_tsvector('simple', ...)`` of the
  pre-tokenised text) with a GIN index.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    POST = "post", _("投稿")
    ATTACHMENT = "attachment", _("添付ファイル")
    PATIENT = "patient", _("患者")
    PAGE = "page", _("ページ")


class SearchEntry(models.Model):
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    chunk = models.PositiveSmallIntegerField(default=0)
    patient = models.ForeignKey(
        "network.PatientPage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    post = models.ForeignKey(
        "timeline.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    attachment = models.ForeignKey(
        "timeline.Attachment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # NFKC, lower case, katakana folded to hiragana (search.text.normalize).
    text = models.TextField()
    # Space-separated tokens with aligned positions (search.text.grams).
    bigrams = models.TextField()
    unigrams = models.TextField()
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("検索インデックス")
        verbose_name_plural = _("検索インデックス")
        indexes = [
            models.Index(fields=["patient", "kind"], name="search_patient_kind_idx"),
            models.Index(fields=["post"], name="search_post_idx"),
            models.Index(fields=["attachment"], name="search_attachment_idx"),
            models.Index(fields=["page"], name="search_page_idx"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk}"
