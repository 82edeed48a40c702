"""The index in the application database: SQLite FTS5 or PostgreSQL tsvector/GIN.

Both hold the same pre-tokenised text (``SearchEntry.bigrams``/``unigrams``). A
query term becomes, per run of letters/digits, a phrase of its adjacent bigrams
(or its single character), and every phrase must match: FTS5 column phrases
joined with AND, or ``phraseto_tsquery('simple', ...)`` joined with ``&&``. Hits
are candidates; ``search.query`` confirms them on the normalised text.
"""

from django.db import connection, transaction

from ..models import SearchEntry
from ..text import grams
from . import Hit

# Kinds with few rows in any user's scope, searched by reading those rows.
_SMALL_KINDS = {"patient", "page"}
_COLUMNS = "e.kind, e.text, e.patient_id, e.post_id, e.attachment_id, e.page_id"


def _entry(doc):
    bigrams, unigrams = grams(doc.text)
    return SearchEntry(
        kind=doc.kind,
        chunk=doc.chunk,
        patient_id=doc.patient_id,
        post_id=doc.post_id,
        attachment_id=doc.attachment_id,
        page_id=doc.page_id,
        text=doc.text,
        bigrams=" ".join(bigrams),
        unigrams=" ".join(unigrams),
    )


_TARGET = {
    "post": "post_id",
    "attachment": "attachment_id",
    "patient": "patient_id",
    "page": "page_id",
}


class DatabaseBackend:
    name = "database"
    has_archive_index = False  # the consent archive reads the database (search.archive)

    # --- writing -------------------------------------------------------------

    def replace(self, kind, target_id, docs):
        """The entries of one object become ``docs`` (none: the object is not searchable)."""
        with transaction.atomic():
            SearchEntry.objects.filter(kind=kind, **{_TARGET[kind]: target_id}).delete()
            if docs:
                SearchEntry.objects.bulk_create([_entry(d) for d in docs])

    def add_many(self, docs, batch_size=500):
        """For rebuilds and bulk loads: insert without deleting first."""
        SearchEntry.objects.bulk_create([_entry(d) for d in docs], batch_size=batch_size)

    def delete(self, kind, target_id):
        SearchEntry.objects.filter(kind=kind, **{_TARGET[kind]: target_id}).delete()

    def clear(self):
        SearchEntry.objects.all().delete()

    def compact(self):
        """Merge the full-text index so deleted entries no longer linger in old segments."""
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            elif connection.vendor == "postgresql":
                pass  # VACUUM runs outside transactions: see docs/search.md

    def update_team(self, patient_id):
        """Team changes need nothing here: scope is joined at query time."""

    def count(self):
        return SearchEntry.objects.count()

    # --- reading -------------------------------------------------------------

    def search(self, query, kinds, patients=None, pages=None, limit=200, facilities=None):
        """Candidate hits of ``kinds``, newest entries first, within the scope querysets.

        ``patients`` is a queryset or a list of patient ids (the policy's answer,
        evaluated once per search).

        ``facilities`` (the caller's team facility ids) matters to external indexes
        only: here the join with the policy's patient queryset is already exact.
        """
        if not query:
            return []
        where, params = [], []
        where.append("e.kind IN (" + ", ".join(["%s"] * len(kinds)) + ")")
        params += list(kinds)
        scope = []
        if isinstance(patients, list | tuple | set | frozenset):
            # The policy's answer already evaluated (``search.query._evaluated``): plain
            # ids give the planner exact figures and cost nothing to plan.
            if patients:
                scope.append("e.patient_id IN (" + ", ".join(["%s"] * len(patients)) + ")")
                params += list(patients)
        elif patients is not None:
            sql, p = patients.values("pk").query.sql_with_params()
            scope.append(f"e.patient_id IN ({sql})")
            params += list(p)
        if pages is not None:
            sql, p = pages.values("pk").query.sql_with_params()
            scope.append(f"e.page_id IN ({sql})")
            params += list(p)
        if not scope:
            return []
        where.append("(" + " OR ".join(scope) + ")")
        if set(kinds) <= _SMALL_KINDS:
            return self._scan(query, where, params, limit)
        if connection.vendor == "sqlite":
            sql, match_params = self._sqlite(query, where, limit)
        else:
            sql, match_params = self._postgres(query, where, limit)
        with connection.cursor() as cursor:
            cursor.execute(sql, match_params[0] + params + match_params[1])
            return [Hit(*row) for row in cursor.fetchall()]

    @staticmethod
    def _scan(query, where, params, limit):
        """Patients and pages: the rows in scope are few (a user's patients, the public
        pages), so read them and compare the normalised text, instead of walking a
        full-text posting list that is mostly posts."""
        # No ORDER BY: ordering by id would let SQLite walk the whole table in id order
        # instead of looking the few rows up through the patient/page index.
        sql = f"SELECT {_COLUMNS} FROM search_searchentry e WHERE {' AND '.join(where)}"  # noqa: S608
        hits = []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                hit = Hit(*row)
                if query.matches(hit.text):
                    hits.append(hit)
                    if len(hits) >= limit:
                        break
        return hits

    @staticmethod
    def _phrases(query):
        """[(column, tokens)] of every run of every term."""
        out = []
        for term_runs in query.term_runs():
            for run in term_runs:
                if len(run) == 1:
                    out.append(("unigrams", [run]))
                else:
                    out.append(("bigrams", [run[i : i + 2] for i in range(len(run) - 1)]))
        return out

    def _sqlite(self, query, where, limit):
        # Tokens hold letters and digits only, so quoting them is enough: no FTS5
        # operator can come from user input.
        # Unary + keeps SQLite from driving the query from the patient index (and then
        # running the MATCH once per row of the user's patients): the full-text index
        # leads, newest first, and each candidate's scope is checked by primary key.
        where = [
            w.replace("e.kind IN", "+e.kind IN")
            .replace("e.patient_id IN", "+e.patient_id IN")
            .replace("e.page_id IN", "+e.page_id IN")
            for w in where
        ]
        match = " AND ".join(
            f'{column} : "{" ".join(tokens)}"' for column, tokens in self._phrases(query)
        )
        sql = (
            f"SELECT {_COLUMNS} FROM search_fts JOIN search_searchentry e ON e.id = search_fts.rowid "  # noqa: S608
            f"WHERE search_fts MATCH %s AND {' AND '.join(where)} "
            "ORDER BY search_fts.rowid DESC LIMIT %s"
        )
        return sql, ([match], [limit])

    def _postgres(self, query, where, limit):
        parts, params = [], []
        for column, tokens in self._phrases(query):
            if column == "unigrams":
                parts.append("plainto_tsquery('simple'::regconfig, %s)")
            else:
                parts.append("phraseto_tsquery('simple'::regconfig, %s)")
            params.append(" ".join(tokens))
        tsquery = " && ".join(parts)
        sql = (
            f"SELECT {_COLUMNS} FROM search_searchentry e "  # noqa: S608
            f"WHERE e.tsv @@ ({tsquery}) AND {' AND '.join(where)} "
            "ORDER BY e.id DESC LIMIT %s"
        )
        return sql, (params, [limit])

    def size_bytes(self):
        """Bytes used by the index (table, its indexes and the full-text index)."""
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search_%%'"
                )
                return cursor.fetchone()[0] or 0
            cursor.execute("SELECT pg_total_relation_size('search_searchentry')")
            return cursor.fetchone()[0]
