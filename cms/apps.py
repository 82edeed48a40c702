from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "公開ページ"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signal_handlers

        signal_handlers.register()
