"""manage.py restore FILE --yes"""

from django.core.management.base import BaseCommand, CommandError

from erasure.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "暗号化バックアップを検証して復元し、削除記録（同意撤回）を再適用します。"
        "現在のデータベースと添付ファイルは置き換えられます。"
    )

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--yes", action="store_true", help="確認なしで置き換える")

    def handle(self, *args, **options):
        if not options["yes"]:
            raise CommandError("現在のデータを置き換えます。よろしければ --yes を付けて実行してください。")
        try:
            summary = restore_backup(options["archive"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"復元しました（バックアップ作成 {summary['created_at']}、{summary['files']} 個）。"
            f"同意撤回の再適用: {summary['patients_deleted_again']} 人を再削除、"
            f"削除記録 {summary['tombstones_recorded']} 件を記録。"
        )
