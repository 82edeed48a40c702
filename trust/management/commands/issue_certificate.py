"""Issue a device certificate from the server's shell: for the secretariat and system
administrators, whom no one in the web UI issues for, and for bootstrapping behind nginx."""

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from trust import services


class Command(BaseCommand):
    help = "端末証明書を発行し、PKCS#12ファイルを書き出して、取り込み用パスワードを表示します。"

    def add_arguments(self, parser):
        parser.add_argument("email", help="利用者のメールアドレス（ログインID）")
        parser.add_argument("--device", required=True, help="端末名（例：事務局PC1）")
        parser.add_argument("--out", required=True, help="PKCS#12ファイルの書き出し先（.p12）")

    def handle(self, *args, email, device, out, **options):
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"{email} という利用者はいません。")
        path = Path(out)
        if path.exists():
            raise CommandError(f"{out} はすでにあります。上書きはしません。")
        try:
            cert, password, token = services.issue_certificate(
                user, device, facility=None, actor=None, mail_link=False
            )
            _cert, bundle = services.take_bundle(token)
        except services.TrustError as exc:
            raise CommandError(exc.message) from exc
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(bundle)
        self.stdout.write(f"シリアル番号: {cert.serial_hex}")
        self.stdout.write(f"PKCS#12: {out}")
        self.stdout.write(f"取り込み用パスワード（一度だけ表示）: {password}")
