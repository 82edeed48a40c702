from django.core.management.base import BaseCommand

from search.backends import get_backend
from search.index import rebuild


class Command(BaseCommand):
    help = "検索インデックスをデータベースから作り直します (drop and rebuild the search index, and the archive index of a scale-out backend)."

    def handle(self, *args, **options):
        backend = get_backend()
        counts = rebuild()
        backend.compact()
        message = (
            "rebuilt {backend} index: {posts} posts, {attachments} attachments, "
            "{patients} patients, {pages} pages".format(backend=backend.name, **counts)
        )
        if "archive" in counts:
            message += f"; archive index: {counts['archive']} records"
        self.stdout.write(message)
