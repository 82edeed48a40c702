"""``manage.py update_translations`` (``make messages``): re-extract and compile the English catalogue.

New texts arrive with an empty msgstr in locale/en/LC_MESSAGES/django.po and are listed
here; fill them in and run the command again to compile. Texts that left the code are
dropped from the catalogue.
"""

from django.core.management.base import BaseCommand

from cms import translations


class Command(BaseCommand):
    help = "Re-extract the English catalogue (locale/en) from the project's apps and templates and compile it."

    def handle(self, *args, **options):
        translations.extract()
        translations.compile_all()
        for language in translations.LANGUAGES:
            missing = translations.untranslated(language)
            path = translations.po_path(language)
            if missing:
                self.stdout.write(
                    self.style.WARNING(f"{path}: {len(missing)} msgid(s) without a translation:")
                )
                for msgid in missing:
                    self.stdout.write(f"  {msgid}")
            else:
                self.stdout.write(self.style.SUCCESS(f"{path}: every msgid is translated."))
