"""The submissions in the secretariat's consent archive search (``search.archive``).

Every submitted form is a record: forms 5 and 7 (consent and its withdrawal) are the
ones the secretariat looks up years later, by name, kana or reference number. Records
carry the administrative data of the form only; no submission holds timeline content.
"""

from django.urls import reverse
from django.utils import timezone

from search.archive import ArchiveDocument, ArchiveRecord

from . import definitions
from .models import Submission, SubmissionStatus

# The person or facility a record is about, in the order the forms use them.
_NAME_KEYS = ("patient_name", "facility_name", "staff_name", "admin_name")
_KANA_KEYS = ("patient_name_kana", "facility_name_kana", "staff_name_kana", "admin_name_kana")


def _first(data, keys):
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _who(submission):
    """(name, kana) of the person or facility the submission is about."""
    data = submission.data or {}
    return _first(data, _NAME_KEYS) or submission.contact_name, _first(data, _KANA_KEYS)


class SubmissionArchiveSource:
    key = "submissions"
    label = "申請書類（様式1〜8）"
    model = "forms.Submission"
    forms = [
        (form.number, form.label if form.label == form.title else f"{form.label} {form.title}")
        for form in definitions.FORMS
    ]
    statuses = list(SubmissionStatus.choices)

    def records(self, user, criteria):
        submissions = Submission.objects.select_related("facility").order_by("-submitted_at", "-pk")
        if criteria.form:
            submissions = submissions.filter(form_number=criteria.form)
        if criteria.status:
            if criteria.status not in SubmissionStatus.values:
                return []
            submissions = submissions.filter(status=criteria.status)
        if criteria.facility is not None:
            submissions = submissions.filter(facility=criteria.facility)
        out = []
        for submission in submissions.iterator(chunk_size=500):
            day = timezone.localdate(submission.submitted_at)
            if not criteria.in_range(day) or not criteria.matches_reference(submission.reference):
                continue
            name, kana = _who(submission)
            if not criteria.matches_text(name, kana, submission.reference):
                continue
            out.append(self.document_for(submission).record)
            if len(out) >= criteria.limit:
                break
        return out

    def documents(self):
        for submission in Submission.objects.select_related("facility").order_by("pk").iterator(chunk_size=500):
            yield self.document_for(submission)

    def document_for(self, submission):
        """The form's administrative data: who it is about, its facility, date and status."""
        data = submission.data or {}
        name, kana = _who(submission)
        facility = submission.facility.name if submission.facility else data.get("facility_name", "")
        record = ArchiveRecord(
            source=self.key,
            form=submission.form_number,
            reference=submission.reference,
            name=name,
            name_kana=kana,
            date=timezone.localdate(submission.submitted_at),
            status=submission.status,
            status_label=submission.get_status_display(),
            facilities=[facility] if facility else [],
            url=reverse("wagtailadmin_pages:edit", args=[submission.pk]),
        )
        return ArchiveDocument(
            source=self.key,
            id=submission.pk,
            record=record,
            facility_ids=[submission.facility_id] if submission.facility_id else [],
        )
