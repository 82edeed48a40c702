"""Mail the owners of certificates that expire within 30 days (run daily)."""

from django.core.management.base import BaseCommand

from trust.services import send_renewal_reminders


class Command(BaseCommand):
    help = "有効期限が30日以内の端末証明書の持ち主に、更新の案内メールを送ります。"

    def handle(self, *args, **options):
        self.stdout.write(f"{send_renewal_reminders()}件送信しました。")
