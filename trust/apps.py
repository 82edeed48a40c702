"""Trust: second factors, the network's CA and device certificates, VPN numbers, disaster mode."""
from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "trust"
    verbose_name = "認証・端末"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signal_handlers  # noqa: F401
