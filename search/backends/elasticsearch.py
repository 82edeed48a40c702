"""Scale-out backend: Elasticsearch 8/9 or OpenSearch 2/3, selected when
``ELASTICSEARCH_URL`` (``SEARCH_BACKEND=elasticsearch``) or ``OPENSEARCH_URL``
(``SEARCH_BACKEND=opensearch``) is set.

Same contract as the database backend. Each document holds the normalised text
(``search.text.normalize``) in ``text``, analysed three ways:

* ``text``: kuromoji (``analysis-kuromoji`` plugin, on both engines) for word-level relevance;
* ``text.bigram``: 2-character n-grams; a query run becomes a ``match_phrase``
  (adjacent bigrams), exactly as the database backends do;
* ``text.unigram``: single characters, for one-character queries.

Access: every query is filtered by the patient ids of the caller's policy
queryset (``network.access``) and by the team's facility ids indexed with each
document (``facility_ids``, kept current when team links change), never by a
"public" flag. Deletions remove documents by query (a patient's deletion removes
everything of that patient). Queries are built with ``elasticsearch.dsl``
(``to_dict()``); OpenSearch accepts the same bodies.

One backend class for both engines. What differs is the client library, behind a
small adapter (``ElasticsearchClient``, ``OpenSearchClient``): the official
Elasticsearch client refuses OpenSearch servers, and opensearch-py takes request
bodies as ``body=`` where elasticsearch-py 9 takes ``settings=``, ``mappings=``,
``query=``, ``document=``; each has its own bulk helper.

The consent archive (``search.archive``) gets its own index on the same cluster,
``<SEARCH_INDEX_NAME>-archive`` (``ARCHIVE_MAPPINGS``), written and queried through
the ``archive_*`` methods.

Not run against a live cluster in this repository's CI (none is available); the
contract tests in tests/search/test_backend_contract.py run when
``ELASTICSEARCH_URL`` or ``OPENSEARCH_URL`` is set.
"""

import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..models import EntryKind
from . import Hit

INDEX_SETTINGS = {
    "analysis": {
        "tokenizer": {
            "ja_bigram": {"type": "ngram", "min_gram": 2, "max_gram": 2, "token_chars": ["letter", "digit"]},
            "ja_unigram": {"type": "ngram", "min_gram": 1, "max_gram": 1, "token_chars": ["letter", "digit"]},
        },
        "analyzer": {
            "ja_kuromoji": {
                "type": "custom",
                "tokenizer": "kuromoji_tokenizer",
                "filter": ["kuromoji_baseform", "cjk_width", "lowercase"],
            },
            "ja_bigram": {"type": "custom", "tokenizer": "ja_bigram", "filter": ["cjk_width", "lowercase"]},
            "ja_unigram": {"type": "custom", "tokenizer": "ja_unigram", "filter": ["cjk_width", "lowercase"]},
        },
    },
    "index": {"max_ngram_diff": 1},
}
MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "kind": {"type": "keyword"},
        "chunk": {"type": "integer"},
        "patient_id": {"type": "long"},
        "post_id": {"type": "long"},
        "attachment_id": {"type": "long"},
        "page_id": {"type": "long"},
        "facility_ids": {"type": "long"},
        "seq": {"type": "long"},
        "text": {
            "type": "text",
            "analyzer": "ja_kuromoji",
            "fields": {
                "bigram": {"type": "text", "analyzer": "ja_bigram"},
                "unigram": {"type": "text", "analyzer": "ja_unigram"},
            },
        },
    },
}

# The consent archive's records (search.archive.ArchiveDocument.body()): administrative
# data of a form, never post text. ``text`` is the normalised name, kana and reference,
# searched like the main index; ``reference_key`` is the normalised reference without
# hyphens, for prefix queries; the rest are filters or shown as they are.
ARCHIVE_MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "source": {"type": "keyword"},
        "form": {"type": "keyword"},
        "reference": {"type": "keyword"},
        "reference_key": {"type": "keyword"},
        "name": {"type": "keyword", "index": False},
        "name_kana": {"type": "keyword", "index": False},
        "date": {"type": "date", "format": "date"},
        "status": {"type": "keyword"},
        "facility_ids": {"type": "long"},
        "facilities": {"type": "keyword", "index": False},
        "url": {"type": "keyword", "index": False},
        "text": {
            "type": "text",
            "analyzer": "ja_kuromoji",
            "fields": {
                "bigram": {"type": "text", "analyzer": "ja_bigram"},
                "unigram": {"type": "text", "analyzer": "ja_unigram"},
            },
        },
    },
}

_TARGET = {
    EntryKind.POST: "post_id",
    EntryKind.ATTACHMENT: "attachment_id",
    EntryKind.PATIENT: "patient_id",
    EntryKind.PAGE: "page_id",
}


def build_query(query, kinds, patient_ids=None, page_ids=None, facility_ids=None, limit=200):
    """The search body (a dict) for ``query``: phrases of every run, filtered by scope."""
    from elasticsearch.dsl import Q, Search

    must = []
    for term_runs in query.term_runs():
        for run in term_runs:
            if len(run) == 1:
                must.append(Q("term", **{"text.unigram": run}))
            else:
                must.append(Q("match_phrase", **{"text.bigram": run}))
    scope = []
    if patient_ids is not None:
        patient_scope = Q("terms", patient_id=list(patient_ids))
        if facility_ids is not None:
            patient_scope &= Q("terms", facility_ids=list(facility_ids))
        scope.append(patient_scope)
    if page_ids is not None:
        scope.append(Q("terms", page_id=list(page_ids)))
    search = (
        Search()
        .query(Q("bool", must=must, filter=[Q("terms", kind=list(kinds)), Q("bool", should=scope, minimum_should_match=1)]))
        .sort({"seq": {"order": "desc"}})
        .extra(size=limit)
        .source(["kind", "text", "patient_id", "post_id", "attachment_id", "page_id"])
    )
    return search.to_dict()


def team_facility_ids(patient_id):
    from network.models import USABLE_FACILITY_STATUSES, TeamLink

    return sorted(
        TeamLink.objects.active()
        .filter(patient_id=patient_id, facility__status__in=USABLE_FACILITY_STATUSES)
        .values_list("facility_id", flat=True)
    )


# --- The client adapters: the only code that knows which library talks to the cluster ---------


class ElasticsearchClient:
    """elasticsearch-py 9 (Elasticsearch 8/9): bodies as keyword arguments."""

    engine = "elasticsearch"

    def __init__(self, url, timeout=10, **options):
        from elasticsearch import Elasticsearch

        self.client = Elasticsearch(url, request_timeout=timeout, **options)

    def index_exists(self, index):
        return bool(self.client.indices.exists(index=index))

    def create_index(self, index, settings, mappings):
        self.client.indices.create(index=index, settings=settings, mappings=mappings)

    def delete_index(self, index):
        self.client.indices.delete(index=index, ignore_unavailable=True)

    def bulk(self, actions, chunk_size=500):
        from elasticsearch.helpers import bulk

        bulk(self.client, actions, chunk_size=chunk_size, refresh="wait_for")

    def put(self, index, doc_id, document):
        self.client.index(index=index, id=doc_id, document=document, refresh="wait_for")

    def remove(self, index, doc_id):
        """Delete one document; a missing one is not an error."""
        self.client.options(ignore_status=404).delete(index=index, id=doc_id, refresh="wait_for")

    def delete_by_query(self, index, query):
        self.client.delete_by_query(index=index, query=query, refresh=True, conflicts="proceed")

    def update_by_query(self, index, query, script):
        self.client.update_by_query(
            index=index, query=query, script=script, refresh=True, conflicts="proceed"
        )

    def search(self, index, body):
        return self.client.search(index=index, body=body)

    def count(self, index):
        return self.client.count(index=index)["count"]

    def forcemerge(self, index):
        self.client.indices.forcemerge(index=index, only_expunge_deletes=True)


class OpenSearchClient:
    """opensearch-py 3 (OpenSearch 2/3): every request body is ``body=``."""

    engine = "opensearch"

    def __init__(self, url, timeout=10, **options):
        from opensearchpy import OpenSearch

        self.client = OpenSearch(url, timeout=timeout, **options)

    def index_exists(self, index):
        return bool(self.client.indices.exists(index=index))

    def create_index(self, index, settings, mappings):
        self.client.indices.create(index=index, body={"settings": settings, "mappings": mappings})

    def delete_index(self, index):
        self.client.indices.delete(index=index, ignore_unavailable=True)

    def bulk(self, actions, chunk_size=500):
        from opensearchpy.helpers import bulk

        bulk(self.client, actions, chunk_size=chunk_size, refresh="wait_for")

    def put(self, index, doc_id, document):
        self.client.index(index=index, id=doc_id, body=document, refresh="wait_for")

    def remove(self, index, doc_id):
        """Delete one document; a missing one is not an error."""
        self.client.delete(index=index, id=doc_id, refresh="wait_for", ignore=404)

    def delete_by_query(self, index, query):
        self.client.delete_by_query(
            index=index, body={"query": query}, refresh=True, conflicts="proceed"
        )

    def update_by_query(self, index, query, script):
        self.client.update_by_query(
            index=index, body={"query": query, "script": script}, refresh=True, conflicts="proceed"
        )

    def search(self, index, body):
        return self.client.search(index=index, body=body)

    def count(self, index):
        return self.client.count(index=index)["count"]

    def forcemerge(self, index):
        self.client.indices.forcemerge(index=index, only_expunge_deletes=True)


CLIENTS = {
    # engine: (adapter, setting with the URL, environment variable that sets it)
    "elasticsearch": (ElasticsearchClient, "SEARCH_ELASTICSEARCH_URL", "ELASTICSEARCH_URL"),
    "opensearch": (OpenSearchClient, "SEARCH_OPENSEARCH_URL", "OPENSEARCH_URL"),
}


def client_for(engine, **options):
    """The adapter for ``engine``, connected to the URL its setting holds."""
    adapter, setting, variable = CLIENTS[engine]
    url = getattr(settings, setting, "")
    if not url:
        raise ImproperlyConfigured(f"{variable} is not set")
    return adapter(url, **options)


# --- The backend -------------------------------------------------------------------------


class ElasticsearchBackend:
    """The scale-out backend; ``name`` (the engine) only chooses the client adapter."""

    name = "elasticsearch"
    has_archive_index = True

    def __init__(self, client=None):
        self.client = client or client_for(self.name)
        self.index = getattr(settings, "SEARCH_INDEX_NAME", "mimamori-search")
        self.archive_index = f"{self.index}-archive"
        self._ready = set()

    def _ensure(self, index, mappings):
        if index in self._ready:
            return
        if not self.client.index_exists(index):
            self.client.create_index(index, INDEX_SETTINGS, mappings)
        self._ready.add(index)

    def _ensure_index(self):
        self._ensure(self.index, MAPPINGS)

    def _ensure_archive_index(self):
        self._ensure(self.archive_index, ARCHIVE_MAPPINGS)

    def _source(self, doc, facility_cache):
        ids = []
        if doc.patient_id is not None:
            if doc.patient_id not in facility_cache:
                facility_cache[doc.patient_id] = team_facility_ids(doc.patient_id)
            ids = facility_cache[doc.patient_id]
        return {
            "kind": str(doc.kind),
            "chunk": doc.chunk,
            "patient_id": doc.patient_id,
            "post_id": doc.post_id,
            "attachment_id": doc.attachment_id,
            "page_id": doc.page_id,
            "facility_ids": ids,
            "seq": time.time_ns(),
            "text": doc.text,
        }

    # --- writing -------------------------------------------------------------

    def replace(self, kind, target_id, docs):
        self.delete(kind, target_id, everything_of_patient=False)
        self.add_many(docs)

    def add_many(self, docs, batch_size=500):
        if not docs:
            return
        self._ensure_index()
        cache = {}
        actions = (
            {"_index": self.index, "_id": doc.key, "_source": self._source(doc, cache)} for doc in docs
        )
        self.client.bulk(actions, chunk_size=batch_size)

    def delete(self, kind, target_id, everything_of_patient=True):
        self._ensure_index()
        field = _TARGET[kind]
        query = {"term": {field: target_id}}
        if kind == EntryKind.ATTACHMENT or (kind == EntryKind.PATIENT and not everything_of_patient):
            query = {"bool": {"filter": [{"term": {field: target_id}}, {"term": {"kind": str(kind)}}]}}
        # A deleted patient (consent withdrawal) takes every document of theirs along.
        self.client.delete_by_query(self.index, query)

    def update_team(self, patient_id):
        """A team link changed: the patient's documents get the current facility ids."""
        self._ensure_index()
        self.client.update_by_query(
            self.index,
            {"term": {"patient_id": patient_id}},
            {"source": "ctx._source.facility_ids = params.ids", "params": {"ids": team_facility_ids(patient_id)}},
        )

    def clear(self):
        self.client.delete_index(self.index)
        self._ready.discard(self.index)
        self._ensure_index()

    def compact(self):
        self._ensure_index()
        self.client.forcemerge(self.index)
        if self.archive_index in self._ready:
            self.client.forcemerge(self.archive_index)

    def count(self):
        self._ensure_index()
        return self.client.count(self.index)

    def drop(self):
        """Delete both indexes (tests; an operator would use the cluster's own tools)."""
        self.client.delete_index(self.index)
        self.client.delete_index(self.archive_index)
        self._ready.clear()

    # --- reading -------------------------------------------------------------

    def search(self, query, kinds, patients=None, pages=None, limit=200, facilities=None):
        if not query:
            return []
        self._ensure_index()
        if patients is None or isinstance(patients, list | tuple | set | frozenset):
            # None, or the policy's answer already evaluated (``search.query._evaluated``).
            patient_ids = list(patients) if patients is not None else None
        else:
            patient_ids = list(patients.values_list("pk", flat=True))
        page_ids = list(pages.values_list("pk", flat=True)) if pages is not None else None
        if not patient_ids and not page_ids:
            return []
        facility_ids = list(facilities) if facilities is not None else None
        body = build_query(query, [str(k) for k in kinds], patient_ids, page_ids, facility_ids, limit)
        response = self.client.search(self.index, body)
        return [
            Hit(
                kind=h["_source"]["kind"],
                text=h["_source"]["text"],
                patient_id=h["_source"].get("patient_id"),
                post_id=h["_source"].get("post_id"),
                attachment_id=h["_source"].get("attachment_id"),
                page_id=h["_source"].get("page_id"),
            )
            for h in response["hits"]["hits"]
        ]

    # --- the consent archive's index (search.archive) ------------------------

    def archive_put(self, key, document):
        """Add or replace one archive record (``document``: ``ArchiveDocument.body()``)."""
        self._ensure_archive_index()
        self.client.put(self.archive_index, key, document)

    def archive_add_many(self, documents, batch_size=500):
        """``documents``: iterable of (key, body)."""
        self._ensure_archive_index()
        actions = (
            {"_index": self.archive_index, "_id": key, "_source": body} for key, body in documents
        )
        self.client.bulk(actions, chunk_size=batch_size)

    def archive_delete(self, key):
        self._ensure_archive_index()
        self.client.remove(self.archive_index, key)

    def archive_clear(self):
        self.client.delete_index(self.archive_index)
        self._ready.discard(self.archive_index)
        self._ensure_archive_index()

    def archive_search(self, body):
        """[(key, source)] of the hits of ``body`` (built by ``search.archive.build_index_query``)."""
        self._ensure_archive_index()
        response = self.client.search(self.archive_index, body)
        return [(h["_id"], h["_source"]) for h in response["hits"]["hits"]]

    def archive_count(self):
        self._ensure_archive_index()
        return self.client.count(self.archive_index)


class OpenSearchBackend(ElasticsearchBackend):
    """The same backend on OpenSearch 2/3 (opensearch-py), selected by ``OPENSEARCH_URL``."""

    name = "opensearch"
