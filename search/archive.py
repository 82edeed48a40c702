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
    (NFKC, kana-folded, each word an exact phrase) for the free-text part.

and, so that its records can live in the scale-out backend's archive index:

``model``
    the label of the model whose rows are its records (``"forms.Submission"``); a
    save or deletion of a row re-reads that row's record after the commit.
``documents()``
    every record as an ``ArchiveDocument`` (``manage.py rebuild_search``).
``document_for(obj)``
    the ``ArchiveDocument`` of one row, or ``None`` if the row holds no record.

Two paths, the same answers:

* **database** (the default, and whenever the backend has no archive index): every
  source's ``records`` scans the database.
* **archive index** (``SEARCH_BACKEND`` elasticsearch/opensearch): the records live in
  ``<SEARCH_INDEX_NAME>-archive``; ``search`` sends one query built with
  ``elasticsearch.dsl`` (``build_index_query``: terms on source, form, status and
  facility ids, a range on the date, a prefix on the reference without hyphens, and
  a ``match_phrase``/``term`` on the n-gram sub-fields of the normalised name, kana
  and reference for every run of the words), then confirms each hit with
  ``criteria.matches_text`` and ``criteria.matches_reference`` as the database path
  does. A source without ``documents`` is still asked through ``records``.

The archive page calls ``search`` only for the secretariat (``network.access.is_secretariat``),
and records never carry post text. Sources must filter by date range
(``date_from``/``date_to``, inclusive, on the record's main date), facility,
status, form and reference number (``reference``: case- and width-insensitive prefix).
"""

import datetime
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .text import Query, normalize

_SOURCES = {}
# Largest "from + size" a query may ask of the archive index (the engines' default window).
MAX_RESULT_WINDOW = 10_000


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

    def reference_prefix(self):
        """The reference asked for, normalised and without hyphens ("" for none)."""
        return normalize(self.reference or "").replace("-", "").strip()

    def matches_reference(self, reference):
        if not self.reference:
            return True
        return reference_key(reference).startswith(self.reference_prefix())

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


def reference_key(reference):
    """A record's reference as the index holds it: normalised, without hyphens."""
    return normalize(reference or "").replace("-", "")


def document_key(source_key, pk):
    return f"{source_key}-{pk}"


@dataclass
class ArchiveDocument:
    """One record as the archive index holds it, with the facility ids its filter needs.

    ``body()`` is all that is sent to the index: the record's administrative fields,
    never post text (the mapping is strict: nothing else can be added on the way).
    """

    source: str
    id: int
    record: ArchiveRecord
    facility_ids: list = field(default_factory=list)

    @property
    def key(self):
        return document_key(self.source, self.id)

    def body(self):
        r = self.record
        return {
            "source": self.source,
            "form": r.form,
            "reference": r.reference,
            "reference_key": reference_key(r.reference),
            "name": r.name,
            "name_kana": r.name_kana,
            "date": r.date.isoformat() if r.date else None,
            "status": r.status,
            "facility_ids": sorted(set(self.facility_ids)),
            "facilities": list(r.facilities),
            "url": r.url,
            "text": normalize("\n".join(v or "" for v in (r.name, r.name_kana, r.reference))),
        }


def record_from_index(source, body):
    """The ``ArchiveRecord`` of an index hit; the status label in the current language."""
    day = body.get("date")
    return ArchiveRecord(
        source=source.key,
        form=body.get("form", ""),
        reference=body.get("reference", ""),
        name=body.get("name", ""),
        name_kana=body.get("name_kana", ""),
        date=date.fromisoformat(day) if day else None,
        status=body.get("status", ""),
        status_label=str(dict(source.statuses).get(body.get("status"), body.get("status", ""))),
        facilities=list(body.get("facilities") or []),
        url=body.get("url", ""),
    )


def _indexed(source):
    return hasattr(source, "documents") and hasattr(source, "document_for") and hasattr(source, "model")


def register(source):
    if source.key in _SOURCES and _SOURCES[source.key] is not source:
        raise ValueError(f"archive source {source.key!r} is already registered")
    _SOURCES[source.key] = source
    if _indexed(source):
        # A lazy sender ("app_label.Model") resolves when the model is loaded.
        for signal, kind in ((post_save, "saved"), (post_delete, "deleted")):
            signal.connect(
                _row_changed, sender=source.model, weak=False,
                dispatch_uid=f"search.archive.{source.key}.{kind}",
            )


def unregister(key):
    source = _SOURCES.pop(key, None)
    if source is not None and _indexed(source):
        for signal, kind in ((post_save, "saved"), (post_delete, "deleted")):
            signal.disconnect(sender=source.model, dispatch_uid=f"search.archive.{source.key}.{kind}")


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
    wanted = [
        source
        for source in sources()
        if not criteria.form or criteria.form in {code for code, _label in source.forms}
    ]
    backend = index_backend()
    out = []
    if backend is not None:
        out.extend(_search_index(backend, [s for s in wanted if _indexed(s)], criteria))
        wanted = [s for s in wanted if not _indexed(s)]
    for source in wanted:
        out.extend(source.records(user, criteria))
    out.sort(key=lambda r: (r.date or date.min, r.reference), reverse=True)
    return out[: criteria.limit]


# --- The archive index (scale-out backend) ----------------------------------------------


def index_backend():
    """The search backend when it keeps an archive index, else ``None`` (database path)."""
    from .backends import get_backend

    backend = get_backend()
    return backend if getattr(backend, "has_archive_index", False) else None


def build_index_query(criteria, source_keys, size, offset=0):
    """The archive index query (a dict) for ``criteria``, built with ``elasticsearch.dsl``."""
    from elasticsearch.dsl import Q, Search

    must = []
    for term_runs in criteria.query.term_runs():
        for run in term_runs:
            if len(run) == 1:
                must.append(Q("term", **{"text.unigram": run}))
            else:
                must.append(Q("match_phrase", **{"text.bigram": run}))
    filters = [Q("terms", source=list(source_keys))]
    if criteria.form:
        filters.append(Q("terms", form=[criteria.form]))
    if criteria.status:
        filters.append(Q("terms", status=[criteria.status]))
    if criteria.facility is not None:
        filters.append(Q("terms", facility_ids=[criteria.facility.pk]))
    if criteria.date_from or criteria.date_to:
        bounds = {}
        if criteria.date_from:
            bounds["gte"] = criteria.date_from.isoformat()
        if criteria.date_to:
            bounds["lte"] = criteria.date_to.isoformat()
        filters.append(Q("range", date=bounds))
    prefix = criteria.reference_prefix() if criteria.reference else ""
    if prefix:
        filters.append(Q("prefix", reference_key=prefix))
    search = (
        Search()
        .query(Q("bool", must=must, filter=filters))
        .sort({"date": {"order": "desc", "missing": "_last"}}, {"reference": {"order": "desc"}})
    )
    return search[offset : offset + size].to_dict()


def _search_index(backend, indexed_sources, criteria):
    """Hits of the archive index, each confirmed as the database path confirms its rows."""
    if not indexed_sources:
        return []
    by_key = {source.key: source for source in indexed_sources}
    out, offset, size = [], 0, max(criteria.limit, 50)
    while len(out) < criteria.limit and offset < MAX_RESULT_WINDOW:
        size = min(size, MAX_RESULT_WINDOW - offset)
        hits = backend.archive_search(build_index_query(criteria, list(by_key), size, offset))
        for _key, body in hits:
            source = by_key.get(body.get("source"))
            if source is None:
                continue
            record = record_from_index(source, body)
            if (
                criteria.in_range(record.date)
                and criteria.matches_reference(record.reference)
                and criteria.matches_text(record.name, record.name_kana, record.reference)
            ):
                out.append(record)
                if len(out) >= criteria.limit:
                    break
        if len(hits) < size:
            break
        offset += size
    return out


def _row_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        changed(sender._meta.label, instance.pk)


class _Batch:
    """The rows changed in one transaction, synced once each after its commit."""

    def __init__(self):
        self.rows = {}  # source key -> {pk: None} (ordered, no duplicates)
        self.ran = False
        self.callback = self.run  # one bound method, to find it among the commit hooks

    def add(self, source_key, pk):
        self.rows.setdefault(source_key, {})[pk] = None

    def run(self):
        self.ran = True
        for source_key, pks in self.rows.items():
            sync(source_key, list(pks))


def _schedule(source_key, pk):
    """Sync the row after the commit; a transaction that saves it five times syncs it once."""
    connection = transaction.get_connection()
    batch = getattr(connection, "_search_archive_batch", None)
    pending = (
        batch is not None
        and not batch.ran
        and any(func is batch.callback for _sids, func, _robust in connection.run_on_commit)
    )
    if pending:
        batch.add(source_key, pk)
        return
    # None yet, already run, or dropped with a rolled-back transaction or savepoint.
    batch = _Batch()
    batch.add(source_key, pk)
    connection._search_archive_batch = batch
    transaction.on_commit(batch.callback, robust=True)  # at once outside a transaction


def changed(model_label, pk):
    """A row of ``model_label`` changed or went: its record is re-read after the commit."""
    if index_backend() is None:
        return
    for source in sources():
        if _indexed(source) and source.model == model_label:
            _schedule(source.key, pk)


def facility_changed(facility_id):
    """A facility was renamed or deleted: the records that name it are re-read after the commit."""
    if index_backend() is None:
        return
    transaction.on_commit(lambda: _resync_facility(facility_id), robust=True)


def _resync_facility(facility_id):
    from elasticsearch.dsl import Q, Search

    backend = index_backend()
    if backend is None:
        return
    body = Search().filter(Q("terms", facility_ids=[facility_id])).source(["source"])
    by_source = {}
    for key, hit in backend.archive_search(body[:MAX_RESULT_WINDOW].to_dict()):
        source_key, _sep, pk = key.rpartition("-")
        if hit.get("source") == source_key and pk.isdigit():
            by_source.setdefault(source_key, []).append(int(pk))
    for source_key, pks in by_source.items():
        sync(source_key, pks)


def sync(source_key, pks):
    """Make the index hold exactly the current records of rows ``pks`` of one source."""
    from django.apps import apps

    backend = index_backend()
    source = _SOURCES.get(source_key)
    if backend is None or source is None or not _indexed(source):
        return
    model = apps.get_model(source.model)
    rows = {obj.pk: obj for obj in model._default_manager.filter(pk__in=list(pks))}
    for pk in pks:
        document = source.document_for(rows[pk]) if pk in rows else None
        if document is None:
            backend.archive_delete(document_key(source_key, pk))
        else:
            backend.archive_put(document.key, document.body())


def rebuild(batch_size=500):
    """Drop the archive index and fill it from every source; the number of records (or None)."""
    backend = index_backend()
    if backend is None:
        return None
    backend.archive_clear()
    count, batch = 0, []
    for source in sources():
        if not _indexed(source):
            continue
        for document in source.documents():
            batch.append((document.key, document.body()))
            count += 1
            if len(batch) >= batch_size:
                backend.archive_add_many(batch)
                batch = []
    if batch:
        backend.archive_add_many(batch)
    return count


class PatientRegistrationSource:
    """Patients registered from their consent (form 5), until the forms' own records exist.

    Reference number: the first 8 characters of the patient id (upper case). Status:
    registered (the patient page is live) or withdrawn (unpublished). Facility: any
    facility ever linked to the patient's team.
    """

    key = "patients"
    label = "患者登録（同意書 様式5）"
    model = "network.PatientPage"
    forms = [("5", "様式5 個人情報使用説明書・同意書")]
    statuses = [("registered", "登録中"), ("unpublished", "非公開（撤回手続中）")]

    def records(self, user, criteria):
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
            reference = self.reference(patient)
            if not criteria.matches_reference(reference):
                continue
            if not criteria.matches_text(patient.title, patient.name_kana, reference):
                continue
            out.append(self.document_for(patient).record)
            if len(out) >= criteria.limit:
                break
        return out

    @staticmethod
    def reference(patient):
        return patient.patient_id.hex[:8].upper()

    def documents(self):
        from network.models import PatientPage

        for patient in PatientPage.objects.order_by("pk").iterator(chunk_size=500):
            yield self.document_for(patient)

    def document_for(self, patient):
        """Name, kana, reference, consent date, status and the team's facilities: nothing else."""
        from django.urls import reverse

        from network.models import TeamLink

        links = list(TeamLink.objects.filter(patient=patient).select_related("facility").order_by("pk"))
        status = "registered" if patient.live else "unpublished"
        record = ArchiveRecord(
            source=self.key,
            form="5",
            reference=self.reference(patient),
            name=patient.title,
            name_kana=patient.name_kana,
            date=patient.consent_date,
            status=status,
            status_label=dict(self.statuses)[status],
            facilities=[link.facility.name for link in links],
            url=reverse("wagtailadmin_pages:edit", args=[patient.pk]),
        )
        return ArchiveDocument(
            source=self.key, id=patient.pk, record=record, facility_ids=[link.facility_id for link in links]
        )


register(PatientRegistrationSource())
