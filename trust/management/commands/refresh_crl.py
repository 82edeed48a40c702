"""Rebuild the CRL before it expires (daily, then `nginx -s reload`)."""

from django.core.management.base import BaseCommand, CommandError

from trust import ca


class Command(BaseCommand):
    help = "失効リスト（CRL）を作り直します。期限切れのCRLはすべての証明書を拒否させるため、毎日実行してください。"

    def handle(self, *args, **options):
        try:
            authority = ca.regenerate_crl()
        except ca.CANotInitialised as exc:
            raise CommandError("認証局がありません。先に manage.py init_ca を実行してください。") from exc
        self.stdout.write(f"CRL #{authority.crl_number} next update {authority.crl_next_update:%Y-%m-%d %H:%M}")
