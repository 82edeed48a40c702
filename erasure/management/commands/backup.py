"""manage.py backup [--output FILE] | --generate-key"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from erasure.backup import BackupError, create_backup, generate_key


class Command(BaseCommand):
    help = (
        "データベース・添付ファイル・鍵を暗号化したバックアップ（AES-256-GCM）に書き出します。"
        "鍵は環境変数 MIMAMORI_BACKUP_KEY です。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="書き出すファイル（既定: var/backups/mimamori-日時.mmbk）")
        parser.add_argument("--generate-key", action="store_true", help="新しい鍵を表示して終わります")

    def handle(self, *args, **options):
        if options["generate_key"]:
            self.stdout.write(f"MIMAMORI_BACKUP_KEY={generate_key()}")
            return
        output = options["output"] or str(
            Path(settings.VAR_DIR) / "backups" / f"mimamori-{timezone.now():%Y%m%dT%H%M%SZ}.mmbk"
        )
        try:
            manifest = create_backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = sum(f["size"] for f in manifest["files"].values())
        self.stdout.write(
            f"バックアップを書き出しました: {output}（{len(manifest['files'])} 個、{size:,} バイト、"
            f"{manifest['database']['vendor']}）"
        )
