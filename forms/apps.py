from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "forms"
    label = "forms"
    verbose_name = "様式・申請"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from search import archive

        from .archive import SubmissionArchiveSource

        archive.register(SubmissionArchiveSource())
