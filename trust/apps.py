from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "trust"
    verbose_name = "認証・端末"
    default_auto_field = "django.db.models.BigAutoField"
