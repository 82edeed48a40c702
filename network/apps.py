from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "network"
    verbose_name = "ネットワーク（施設・患者・チーム）"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signal_handlers

        signal_handlers.register()
