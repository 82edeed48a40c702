import pytest


@pytest.fixture(autouse=True)
def _journal(settings, tmp_path):
    """Each test has its own deletion journal (it lives outside the database)."""
    settings.ERASURE_JOURNAL_PATH = tmp_path / "journal" / "journal.jsonl"
    return settings.ERASURE_JOURNAL_PATH


@pytest.fixture
def mail_dir(settings, tmp_path):
    """Mail through the sent-mail log into files, as in `make run`."""
    settings.EMAIL_BACKEND = "erasure.mail.RecordingBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"
