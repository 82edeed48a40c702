"""Send the daily notice mails (run once a day from cron or the task worker)."""

from django.core.management.base import BaseCommand

from timeline.notifications import send_daily_digests


class Command(BaseCommand):
    help = "Mail each user who chose a daily summary how many new notices they have."

    def handle(self, *args, **options):
        result = send_daily_digests.enqueue()
        self.stdout.write(f"queued daily digests ({result.status})")
