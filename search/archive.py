"""The consent archive: one search over every registered "archive source" (secretariat only).

A source is an object with this interface (register it once, e.g. in an
``AppConfig.ready()``, with ``search.archive.register(source)``):

``key``
    short unique id, e.g. ``"form5"``.
``label``
    Japanese label shown on the page, e.g. ``"様式5 個人情報使用説明書・同意書"``.
``forms``
    list of ``(code, label)`` it holds, e.g. ``[("5", "様式5")]``; the page's form filter.
``statuses``
    list of ``(code, label)`` of its records' states; the page's status filter.
``records(user, criteria)``
    an iterable of ``ArchiveRecord`` matching ``criteria`` (``ArchiveCriteria``);
    at most ``criteria.limit``. Use ``criteria.matches_text(name, kana, reference)``
    (NFKC, kana-folded, each word an exact phrase) for the free-text part, or the
    index (``search.backends``) when the source has many rows.

The archive page calls ``records`` only for the secretariat (``network.access.is_secretariat``),
and records never carry post text. Sources must filter by date range
(``date_from``/``date_to``, inclusive, on the record's main date), facility,
status, form and reference number (``reference``: case- and width-insensitive prefix).
"""

import datetime
from dataclasses import dataclass, field
from datetime import date

from .text import Query, normalize

_SOURCES = {}


@dataclass
class ArchiveCriteria:
    text: str = ""
    date_from: date | None = None
    date_to: date | None = None
    facility: object = None  # network.models.Facility or None
    status: str = ""
    form: str = ""
    reference: str = ""
    limit: int = 200
    query: Query = field(init=False)

    def __post_init__(self):
        self.query = Query(self.text)

    def matches_text(self, *values):
        if not self.query:
            return True
        return self.query.matches(normalize("\n".join(v or "" for v in values)))

    def matches_reference(self, reference):
        if not self.reference:
            return True
        return normalize(reference or "").replace("-", "").startswith(
            normalize(self.reference).replace("-", "").strip()
        )

    def in_range(self, day):
        if day is None:
            return not (self.date_from or self.date_to)
        return (self.date_from is None or day >= self.date_from) and (
            self.date_to is None or day <= self.date_to
        )


@dataclass
class ArchiveRecord:
    source: str
    form: str
    reference: str
    name: str
    name_kana: str = ""
    date: datetime.date | None = None
    status: str = ""
    status_label: str = ""
    facilities: list = field(default_factory=list)  # names
    url: str = ""


def register(source):
    if source.key in _SOURCES and _SOURCES[source.key] is not source:
        raise ValueError(f"archive source {source.key!r} is already registered")
    _SOURCES[source.key] = source


def unregister(key):
    _SOURCES.pop(key, None)


def sources():
    return list(_SOURCES.values())


def form_choices():
    seen = {}
    for source in sources():
        for code, label in source.forms:
            seen.setdefault(code, label)
    return sorted(seen.items())


def status_choices():
    seen = {}
    for source in sources():
        for code, label in source.statuses:
            seen.setdefault(code, label)
    return list(seen.items())


def search(user, criteria):
    """Records of every source matching ``criteria``, newest first. Secretariat only."""
    from network import access

    if not access.is_secretariat(user):
        return []
    out = []
    for source in sources():
        if criteria.form and criteria.form not in {code for code, _label in source.forms}:
            continue
        out.extend(source.records(user, criteria))
    out.sort(key=lambda r: (r.date or date.min, r.reference), reverse=True)
    return out[: criteria.limit]


class PatientRegistrationSource:
    """Patients registered from their consent (form 5), until the forms' own records exist.

    Reference number: the first 8 characters of the patient id (upper case). Status:
    registered (the patient page is live) or withdrawn (unpublished). Facility: any
    facility ever linked to the patient's team.
    """

    key = "patients"
    label = "患者登録（同意書 様式5）"
    forms = [("5", "様式5 個人情報使用説明書・同意書")]
    statuses = [("registered", "登録中"), ("unpublished", "非公開（撤回手続中）")]

    def records(self, user, criteria):
        from django.urls import reverse

        from network.models import PatientPage, TeamLink

        patients = PatientPage.objects.all()
        if criteria.status == "registered":
            patients = patients.filter(live=True)
        elif criteria.status == "unpublished":
            patients = patients.filter(live=False)
        elif criteria.status:
            return []
        if criteria.date_from:
            patients = patients.filter(consent_date__gte=criteria.date_from)
        if criteria.date_to:
            patients = patients.filter(consent_date__lte=criteria.date_to)
        if criteria.facility is not None:
            patients = patients.filter(
                pk__in=TeamLink.objects.filter(facility=criteria.facility).values("patient_id")
            )
        out = []
        for patient in patients.order_by("-consent_date", "pk").iterator(chunk_size=500):
            reference = patient.patient_id.hex[:8].upper()
            if not criteria.matches_reference(reference):
                continue
            if not criteria.matches_text(patient.title, patient.name_kana, reference):
                continue
            facilities = [
                link.facility.name
                for link in TeamLink.objects.filter(patient=patient).select_related("facility")
            ]
            out.append(
                ArchiveRecord(
                    source=self.key,
                    form="5",
                    reference=reference,
                    name=patient.title,
                    name_kana=patient.name_kana,
                    date=patient.consent_date,
                    status="registered" if patient.live else "unpublished",
                    status_label="登録中" if patient.live else "非公開（撤回手続中）",
                    facilities=facilities,
                    url=reverse("wagtailadmin_pages:edit", args=[patient.pk]),
                )
            )
            if len(out) >= criteria.limit:
                break
        return out


register(PatientRegistrationSource())
