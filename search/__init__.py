"""Japanese n-gram indexing and team-filtered search (SQLite, PostgreSQL, Elasticsearch/OpenSearch).

Every query starts from ``network.access``. See docs/search.md.
"""
