"""Re-check every stored signed document: digest of the file and the system's signature."""

from django.core.management.base import BaseCommand, CommandError

from documents import signing
from documents.models import SignedDocument
from documents.store import verify


class Command(BaseCommand):
    help = "署名済み書類をすべて検証し、変更されたものを名指しで報告します。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--show-key", action="store_true", help="検証に使う公開鍵（base64）と鍵IDを表示する"
        )

    def handle(self, *args, show_key=False, **options):
        if show_key:
            import base64

            self.stdout.write(
                f"公開鍵 {base64.b64encode(signing.public_bytes()).decode()} 鍵ID {signing.key_id()}"
            )
        bad = 0
        total = 0
        for document in SignedDocument.objects.select_related("submission").iterator():
            total += 1
            problems = verify(document)
            if problems:
                bad += 1
                self.stdout.write(
                    f"NG 書類#{document.pk} 受付番号 {document.submission.reference} "
                    f"「{document.display_name}」 ({document.file.name}): " + "、".join(problems)
                )
        self.stdout.write(f"{total}件を検証しました。問題のある書類: {bad}件")
        if bad:
            raise CommandError(f"{bad}件の書類に問題があります。")
