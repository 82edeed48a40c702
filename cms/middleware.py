"""The display language: Japanese unless the user chose another with the language switch."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware without guessing from the browser.

    Django would follow the browser's Accept-Language, so a care worker whose phone is set
    to English would get an English screen they never asked for, and the same person would
    see different screens on different devices. Here the language is the one chosen with the
    switch in the footer (``set_language``'s cookie) when it is one of ``LANGUAGES``, and
    Japanese otherwise.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = settings.LANGUAGE_CODE
        if chosen:
            try:
                language = translation.get_supported_language_variant(chosen)
            except LookupError:
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
