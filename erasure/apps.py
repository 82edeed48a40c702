from django.apps import AppConfig


class ErasureConfig(AppConfig):
    name = "erasure"
    verbose_name = "同意撤回・削除"
    default_auto_field = "django.db.models.BigAutoField"
