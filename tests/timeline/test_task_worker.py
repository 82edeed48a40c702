"""With the production task backend, a post returns at once and the worker mails later."""

from django.core import mail
from django.core.management import call_command

import pytest

from tests.factories import FacilityFactory, join_team, make_patient, make_staff
from timeline.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_backend(settings):
    # django-tasks drops its cached backends on setting_changed.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_notice_mail_waits_for_the_worker(database_backend, signed_in):
    from django_tasks_db.models import DBTaskResult

    clinic = FacilityFactory()
    nurse, doctor = make_staff(clinic), make_staff(clinic)
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, clinic, nurse, doctor)
    response = signed_in(nurse).post(patient.url, {"body": "夕方に再訪問します"})
    assert response.status_code == 302
    assert mail.outbox == []
    assert DBTaskResult.objects.filter(task_path__endswith="send_immediate_notices").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert [m.to for m in mail.outbox] == [[doctor.email]]
    assert Notification.objects.get(user=doctor).emailed_at is not None
