"""Looking for a marker string everywhere a patient's data could remain."""

from pathlib import Path

from django.db import connection


def table_dump_hits(marker):
    """{table: rows containing ``marker``} over EVERY table in the database (case-insensitive)."""
    needle = marker.lower()
    hits, tables = {}, connection.introspection.table_names(include_views=False)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        text = bytes(value).decode("latin-1")
                    else:
                        text = str(value)
                    if needle in text.lower():
                        hits[table] = hits.get(table, 0) + 1
                        break
    return hits, tables


def database_files():
    name = Path(connection.settings_dict["NAME"])
    return [Path(f"{name}{suffix}") for suffix in ("", "-wal", "-shm")]


def file_hits(paths, marker):
    """Files whose name or bytes contain ``marker`` (case-insensitive; UTF-8 and UTF-16)."""
    needles = [marker.lower().encode(), marker.lower().encode("utf-16-le")]
    hits = []
    for path in paths:
        if not path.is_file():
            continue
        data = path.read_bytes().lower()
        if marker.lower() in path.name.lower() or any(n in data for n in needles):
            hits.append(str(path))
    return hits


def tree(root):
    root = Path(root)
    return sorted(p for p in root.rglob("*")) if root.exists() else []
