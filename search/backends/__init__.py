"""Where the index lives. One contract, several backends:

* ``database`` (default): the ``SearchEntry`` table with SQLite FTS5 or PostgreSQL
  tsvector/GIN, chosen by the connection's vendor;
* ``elasticsearch`` / ``opensearch``: one scale-out backend on Elasticsearch 8/9
  or OpenSearch 2/3, selected when ``ELASTICSEARCH_URL`` or ``OPENSEARCH_URL`` is
  set (``SEARCH_BACKEND`` setting); the two differ only in the client library
  (``search.backends.elasticsearch.CLIENTS``).

A backend stores ``search.documents.Doc`` objects and answers
``search(query, kinds, patients=..., pages=..., limit=...)`` with candidate hits
(``Hit``) restricted to the given patient/page querysets. Callers confirm every
hit on its normalised text and build snippets (``search.query``).

A backend with ``has_archive_index`` also holds the consent archive's records in an
index of their own (``archive_*`` methods, used by ``search.archive``); the database
backend has none, and the archive reads the database directly.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

_instances = {}

BACKENDS = {
    "database": "search.backends.database.DatabaseBackend",
    "elasticsearch": "search.backends.elasticsearch.ElasticsearchBackend",
    "opensearch": "search.backends.elasticsearch.OpenSearchBackend",
}


@dataclass
class Hit:
    kind: str
    text: str
    patient_id: int | None = None
    post_id: int | None = None
    attachment_id: int | None = None
    page_id: int | None = None


def get_backend(name=None):
    name = name or getattr(settings, "SEARCH_BACKEND", "database")
    if name not in _instances:
        _instances[name] = import_string(BACKENDS[name])()
    return _instances[name]


def reset_backends():
    _instances.clear()
