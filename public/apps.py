from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "public"
    verbose_name = "公開情報ページ"
    default_auto_field = "django.db.models.BigAutoField"
