"""The HTTP requests the real Elasticsearch and OpenSearch clients would send, captured.

No cluster runs on a development machine, and none is imitated here: the connection
layer of each client library (elastic-transport's node, opensearch-py's connection)
is replaced by one that records method, path, query and JSON body and answers with
an empty success (``{}``; an empty bulk or search result; or an answer a test queued
for one request with ``queue``). Everything above it, the client libraries' own argument handling and
serialisation included, is the code that talks to a real cluster. What a cluster
would *do* with the requests is only checked by the live contract tests
(tests/search/test_backend_contract.py, when ELASTICSEARCH_URL or OPENSEARCH_URL is set).
"""

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from search.backends.elasticsearch import (
    ElasticsearchBackend,
    ElasticsearchClient,
    OpenSearchBackend,
    OpenSearchClient,
)

URL = "http://search.invalid:9200"


@dataclass
class Request:
    method: str
    path: str
    params: dict
    body: object  # parsed JSON, a list of them (NDJSON), or None


@dataclass
class Recorder:
    requests: list = field(default_factory=list)
    queued: dict = field(default_factory=dict)  # "METHOD /path" -> [(status, body), ...]

    def queue(self, method, path, body=None, status=200):
        """Answer the next ``method path`` request with ``status`` and ``body``."""
        self.queued.setdefault(f"{method} {path}", []).append((status, body or {}))

    def record(self, method, target, body):
        """(status, body) of the answer to one request, after recording it."""
        parts = urlsplit(target)
        if isinstance(body, bytes | bytearray):
            body = body.decode()
        parsed = None
        if body:
            lines = [line for line in body.splitlines() if line.strip()]
            parsed = json.loads(body) if len(lines) == 1 else [json.loads(line) for line in lines]
        request = Request(method, parts.path, dict(parse_qsl(parts.query)), parsed)
        self.requests.append(request)
        waiting = self.queued.get(f"{method} {parts.path}")
        if waiting:
            return waiting.pop(0)
        if parts.path.endswith("/_bulk"):
            return 200, {"took": 0, "errors": False, "items": []}
        if parts.path.endswith("/_search"):
            return 200, {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}
        if parts.path.endswith("/_count"):
            return 200, {"count": 0}
        return 200, {}

    def paths(self, method=None):
        return [r.path for r in self.requests if method is None or r.method == method]

    def to(self, method, path):
        return [r for r in self.requests if r.method == method and r.path == path]


def _elasticsearch_node(recorder):
    from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
    from elastic_transport._node._base import NodeApiResponse

    class RecordingNode(BaseNode):
        def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
            status, data = recorder.record(method, target, body)
            meta = ApiResponseMeta(
                status=status,
                http_version="1.1",
                headers=HttpHeaders({"x-elastic-product": "Elasticsearch", "content-type": "application/json"}),
                duration=0.0,
                node=self.config,
            )
            return NodeApiResponse(meta, b"" if method == "HEAD" else json.dumps(data).encode())

        def close(self):
            pass

    return RecordingNode


def _opensearch_connection(recorder):
    from urllib.parse import urlencode

    from opensearchpy import Connection

    class RecordingConnection(Connection):
        def perform_request(self, method, url, params=None, body=None, timeout=None, ignore=(), headers=None):
            target = url + ("?" + urlencode(params) if params else "")
            status, data = recorder.record(method, target, body)
            raw = "" if method == "HEAD" else json.dumps(data)
            if not 200 <= status < 300 and status not in ignore:
                self._raise_error(status, raw, "application/json")
            return status, {"content-type": "application/json"}, raw

    return RecordingConnection


def recording_client(engine, recorder):
    """The project's adapter for ``engine`` with the real client library over a recorder."""
    if engine == "elasticsearch":
        return ElasticsearchClient(URL, node_class=_elasticsearch_node(recorder))
    return OpenSearchClient(URL, connection_class=_opensearch_connection(recorder))


def recording_backend(engine, recorder):
    backend_class = ElasticsearchBackend if engine == "elasticsearch" else OpenSearchBackend
    return backend_class(client=recording_client(engine, recorder))
