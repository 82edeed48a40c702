"""What gets indexed: documents built from posts, attachments, patients and public pages.

A document is backend-neutral (``Doc``); ``search.backends`` stores it. Which page
fields are text is found by introspection (every CharField, TextField and
RichTextField of the specific page), not from a list of models.
"""

import io
import logging
from dataclasses import dataclass, field

from django.db import models
from django.utils.html import strip_tags

from wagtail.fields import RichTextField, StreamField

from .models import EntryKind
from .text import chunks, normalize

logger = logging.getLogger(__name__)

# PDF text beyond this many characters is not indexed (a scanned form has none at all).
MAX_PDF_CHARS = 50_000
MAX_PDF_PAGES = 50


@dataclass
class Doc:
    kind: str
    text: str  # normalised
    chunk: int = 0
    patient_id: int | None = None
    post_id: int | None = None
    attachment_id: int | None = None
    page_id: int | None = None
    facility_ids: list = field(default_factory=list)

    @property
    def target_id(self):
        return {
            EntryKind.POST: self.post_id,
            EntryKind.ATTACHMENT: self.attachment_id,
            EntryKind.PATIENT: self.patient_id,
            EntryKind.PAGE: self.page_id,
        }[self.kind]

    @property
    def key(self):
        target = self.target_id
        return f"{self.kind}-{target}-{self.chunk}"


def _split(kind, text, **keys):
    normalised = normalize(text)
    if not normalised.strip():
        return []
    return [Doc(kind=kind, text=piece, chunk=i, **keys) for i, piece in enumerate(chunks(normalised))]


def post_text(post):
    parts = [post.body, post.plan_change, post.care_cautions]
    return "\n".join(p for p in parts if p)


def post_docs(post):
    """Nothing for a deleted post: its text is gone and so is its entry."""
    if post.deleted_at is not None:
        return []
    return _split(EntryKind.POST, post_text(post), patient_id=post.patient_id, post_id=post.pk)


def pdf_text(file_field):
    """Text of a PDF when it has any (a scan has none); never raises."""
    from pypdf import PdfReader

    try:
        with file_field.open("rb") as handle:
            reader = PdfReader(io.BytesIO(handle.read()))
            out, size = [], 0
            for page in reader.pages[:MAX_PDF_PAGES]:
                text = page.extract_text() or ""
                out.append(text)
                size += len(text)
                if size >= MAX_PDF_CHARS:
                    break
        return "\n".join(out)[:MAX_PDF_CHARS]
    except Exception:  # a broken or encrypted PDF is still searchable by its name
        logger.warning("PDF text not extracted for %s", file_field.name, exc_info=True)
        return ""


def attachment_docs(attachment):
    post = attachment.post
    if post.deleted_at is not None:
        return []
    text = attachment.display_name
    if attachment.kind == "pdf" and attachment.file:
        text += "\n" + pdf_text(attachment.file)
    return _split(
        EntryKind.ATTACHMENT,
        text,
        patient_id=post.patient_id,
        post_id=post.pk,
        attachment_id=attachment.pk,
    )


def patient_docs(patient):
    """Name and kana only: nothing else about the patient is searchable."""
    if not patient.live:
        return []
    return _split(EntryKind.PATIENT, f"{patient.title}\n{patient.name_kana}", patient_id=patient.pk)


def private_root_paths():
    from network.models import NetworkRootPage

    return list(NetworkRootPage.objects.values_list("path", flat=True))


def is_public_page(page, private_paths=None):
    """Live, and outside the private network tree (whatever its type)."""
    if private_paths is None:
        private_paths = private_root_paths()
    return page.live and not any(page.path.startswith(p) for p in private_paths) and page.depth > 1


def page_text(page):
    specific = page.specific
    parts = [specific.title, specific.search_description or ""]
    for model_field in specific._meta.get_fields():
        if getattr(model_field, "model", None) is None or not model_field.concrete:
            continue
        if model_field.name in {"title", "search_description", "slug", "url_path", "path",
                                "draft_title", "seo_title", "latest_revision_created_at"}:
            continue
        value = getattr(specific, model_field.attname, None)
        if isinstance(model_field, RichTextField):
            parts.append(strip_tags(value or ""))
        elif isinstance(model_field, StreamField):
            parts.append(strip_tags(str(value or "")))
        elif isinstance(model_field, (models.CharField, models.TextField)) and not model_field.choices:
            if model_field.model.__module__.startswith("wagtail."):
                continue  # Wagtail's own bookkeeping columns
            parts.append(str(value or ""))
    return "\n".join(p for p in parts if p)


def page_docs(page, private_paths=None):
    if not is_public_page(page, private_paths):
        return []
    return _split(EntryKind.PAGE, page_text(page), page_id=page.pk)
