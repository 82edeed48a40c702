"""Check the audit log's hash chain: exit status 0 when intact, 1 with the entry ids otherwise."""

import time

from django.core.management.base import BaseCommand, CommandError

from audit.log import verify_report


class Command(BaseCommand):
    help = "監査ログのハッシュ連鎖を検証します / Verify the audit log's hash chain."

    def handle(self, *args, **options):
        started = time.perf_counter()
        report = verify_report()
        seconds = time.perf_counter() - started
        problems = []
        if report["altered"]:
            ids = ", ".join(map(str, report["altered"]))
            problems.append(
                f"内容が改ざんされたエントリ / altered entries: {ids}"
            )
        if report["broken_links"]:
            ids = ", ".join(map(str, report["broken_links"]))
            problems.append(
                "直前のエントリが削除または挿入されたエントリ / "
                f"entries after a removed or inserted entry: {ids}"
            )
        if not report["head"]:
            problems.append(
                "最新のエントリが連鎖の先頭と一致しません（末尾の削除） / "
                "the newest entry is not the chain head (entries removed at the end)"
            )
        if problems:
            raise CommandError(
                "監査ログの改ざんを検出しました / The audit log has been tampered with:\n  "
                + "\n  ".join(problems)
            )
        self.stdout.write(
            f"監査ログは完全です（{report['checked']}件、{seconds:.1f}秒） / "
            f"The audit log is intact ({report['checked']} entries, {seconds:.1f} s)."
        )
