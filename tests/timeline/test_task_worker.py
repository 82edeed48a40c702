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


def test_a_post_rolled_back_leaves_no_mail_task(database_backend):
    from django.db import transaction

    from django_tasks_db.models import DBTaskResult

    from timeline import services

    clinic = FacilityFactory()
    nurse, doctor = make_staff(clinic), make_staff(clinic)
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, clinic, nurse, doctor)
    notices = DBTaskResult.objects.filter(task_path__endswith="send_immediate_notices")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_post(nurse, patient, clinic, "看護師", {"body": "取り消される投稿"})
        assert notices.count() == 1  # queued inside the post's transaction
        raise RuntimeError("the request failed after the post was written")
    assert notices.count() == 0
    assert not Notification.objects.exists()


def test_posting_costs_one_commit_with_the_database_queue(database_backend, signed_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clinic = FacilityFactory()
    nurse, doctor = make_staff(clinic), make_staff(clinic)
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, clinic, nurse, doctor)
    client = signed_in(nurse)
    client.get(patient.url)  # the session's idle renewal is written on this first request
    with CaptureQueriesContext(connection) as queries:
        assert client.post(patient.url, {"body": "夕方に再訪問します"}).status_code == 302
    statements = [q["sql"] for q in queries]
    # The post, its notices and the mail task are one transaction; nothing else commits.
    task_insert = next(i for i, sql in enumerate(statements) if "django_tasks_database_dbtaskresult" in sql)
    commits = [i for i, sql in enumerate(statements) if sql == "COMMIT"]
    assert len(commits) == 1 and task_insert < commits[0]
