"""The vendor-specific full-text index over SearchEntry's pre-tokenised text.

SQLite: an FTS5 table with SearchEntry as external content and triggers that keep
it in step on every insert, update and delete (cascades included).
PostgreSQL: a generated tsvector column ('simple' configuration over the
pre-tokenised text, so no language processing) with a GIN index.
"""

from django.db import migrations

SQLITE_UP = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        bigrams, unigrams,
        content='search_searchentry', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0'
    )""",
    """CREATE TRIGGER search_entry_ai AFTER INSERT ON search_searchentry BEGIN
        INSERT INTO search_fts(rowid, bigrams, unigrams) VALUES (new.id, new.bigrams, new.unigrams);
    END""",
    """CREATE TRIGGER search_entry_ad AFTER DELETE ON search_searchentry BEGIN
        INSERT INTO search_fts(search_fts, rowid, bigrams, unigrams)
        VALUES ('delete', old.id, old.bigrams, old.unigrams);
    END""",
    """CREATE TRIGGER search_entry_au AFTER UPDATE ON search_searchentry BEGIN
        INSERT INTO search_fts(search_fts, rowid, bigrams, unigrams)
        VALUES ('delete', old.id, old.bigrams, old.unigrams);
        INSERT INTO search_fts(rowid, bigrams, unigrams) VALUES (new.id, new.bigrams, new.unigrams);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_entry_au",
    "DROP TRIGGER IF EXISTS search_entry_ad",
    "DROP TRIGGER IF EXISTS search_entry_ai",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRES_UP = [
    """ALTER TABLE search_searchentry ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, bigrams) || to_tsvector('simple'::regconfig, unigrams)
    ) STORED""",
    "CREATE INDEX search_entry_tsv_gin ON search_searchentry USING gin (tsv)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS search_entry_tsv_gin",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
