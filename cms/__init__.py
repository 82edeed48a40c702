"""Project package: settings, URLs, WSGI/ASGI, and the public page tree."""
