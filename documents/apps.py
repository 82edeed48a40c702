from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    label = "documents"
    verbose_name = "署名済み書類"
    default_auto_field = "django.db.models.BigAutoField"
