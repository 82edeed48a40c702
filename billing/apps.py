from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "利用料"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signal_handlers

        signal_handlers.register()
