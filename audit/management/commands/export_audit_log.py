"""Write the audit log as JSON Lines with its hashes, for retention (5 years) outside the database.

Each line is one entry with every field, ``prev_hash`` and ``entry_hash``; the last line
is a trailer with the count and the chain head. ``verify_audit_log_export`` style checks
can be run on the file alone: ``manage.py export_audit_log --verify FILE``.
"""

import json
import sys
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.log import CONTENT_FIELDS, GENESIS, chain_hash
from audit.models import AuditEntry, ChainHead


def _day(value, end=False):
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 (a date)
    except ValueError as error:
        raise CommandError(f"日付は YYYY-MM-DD で指定してください / use YYYY-MM-DD: {value}") from error
    moment = datetime.combine(day, time.max if end else time.min)
    return timezone.make_aware(moment)


class Command(BaseCommand):
    help = "監査ログを JSON Lines で書き出します（ハッシュ付き） / Export the audit log as JSON Lines."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument("--since", help="first day (YYYY-MM-DD, local time)")
        parser.add_argument("--until", help="last day (YYYY-MM-DD, local time)")
        parser.add_argument("--verify", metavar="FILE", help="check an exported file's chain instead")

    def handle(self, *args, **options):
        if options["verify"]:
            return self._verify(options["verify"])
        entries = AuditEntry.objects.order_by("id")
        if options["since"]:
            entries = entries.filter(created_at__gte=_day(options["since"]))
        if options["until"]:
            entries = entries.filter(created_at__lte=_day(options["until"], end=True))
        out = open(options["output"], "w", encoding="utf-8") if options["output"] else sys.stdout  # noqa: SIM115
        count = 0
        try:
            columns = ["id", "prev_hash", "entry_hash", *CONTENT_FIELDS]
            for row in entries.values(*columns).iterator(chunk_size=5000):
                row["created_at"] = row["created_at"].isoformat()
                out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
            head = ChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first()
            trailer = {"trailer": True, "count": count, "chain_head": head or GENESIS,
                       "exported_at": timezone.now().isoformat()}
            out.write(json.dumps(trailer, ensure_ascii=False, sort_keys=True) + "\n")
        finally:
            if out is not sys.stdout:
                out.close()
        if options["output"]:
            self.stdout.write(f"{count}件を書き出しました / exported {count} entries: {options['output']}")

    def _verify(self, path):
        """Every entry's own hash, and the links between consecutive entries of the file."""
        broken, prev, count = [], None, 0
        with open(path, encoding="utf-8") as source:
            for line in source:
                row = json.loads(line)
                if row.get("trailer"):
                    continue
                count += 1
                values = {name: row[name] for name in CONTENT_FIELDS}
                if chain_hash(row["prev_hash"], values) != row["entry_hash"]:
                    broken.append(row["id"])
                elif prev is not None and row["prev_hash"] != prev:
                    broken.append(row["id"])
                prev = row["entry_hash"]
        if broken:
            raise CommandError(
                "書き出したファイルの改ざんを検出しました / the export has been tampered with: "
                + ", ".join(map(str, broken))
            )
        self.stdout.write(f"書き出したファイルは完全です（{count}件） / the export is intact ({count} entries)")
