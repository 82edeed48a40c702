"""Japanese n-gram indexing and team-filtered search (SQLite, PostgreSQL, Elasticsearch/OpenSearch).

Not yet an installed app: it arrives with the search issue. Every query will start
from ``network.access``.
"""
