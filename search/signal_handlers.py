"""Signals of the search app, connected in ``SearchConfig.ready``.

* A post or attachment saved through the ORM is (re)indexed; edits and deletions
  through ``timeline.services`` (which update rows with querysets) call
  ``search.index`` directly.
* A post, attachment, patient or page deleted through the ORM leaves nothing in
  any backend (the consent-withdrawal purge deletes that way).
* Pages are (re)indexed when published and dropped when unpublished.
* The consent archive's index (scale-out backend only; ``search.archive``): a source's
  rows are followed by ``archive.register`` (post_save/post_delete of its model);
  here, what else changes a record: publishing or unpublishing a patient (status),
  team links (the record's facilities), and facilities renamed or deleted.
"""

from django.db.models.signals import post_delete, post_save

from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished

from . import archive, index
from .models import EntryKind

PATIENT_MODEL = "network.PatientPage"


def post_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw:
        return
    if created:
        index.index_new_post(instance)
    else:
        index.index_post(instance)


def attachment_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        index.index_attachment(instance)


def post_deleted(sender, instance, **kwargs):
    index.remove(EntryKind.POST, instance.pk)


def attachment_deleted(sender, instance, **kwargs):
    index.remove(EntryKind.ATTACHMENT, instance.pk)


def page_saved(sender, instance, raw=False, **kwargs):
    if raw or not isinstance(instance, Page):
        return
    _index_any_page(instance)


def _index_any_page(page):
    from network.models import PatientPage

    specific_class = page.specific_class
    if specific_class is not None and issubclass(specific_class, PatientPage):
        index.index_patient(page.specific)
        return True
    index.index_page(page)
    return False


def page_changed(sender, instance, **kwargs):
    if _index_any_page(instance):
        # Unpublishing may save the page as a plain Page: the archive record's status.
        archive.changed(PATIENT_MODEL, instance.pk)


def page_deleted(sender, instance, **kwargs):
    if not isinstance(instance, Page):
        return
    from network.models import PatientPage

    if isinstance(instance, PatientPage):
        index.remove(EntryKind.PATIENT, instance.pk)
    else:
        index.remove(EntryKind.PAGE, instance.pk)


def team_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        from .backends import get_backend

        get_backend().update_team(instance.patient_id)
        archive.changed(PATIENT_MODEL, instance.patient_id)


def team_link_deleted(sender, instance, **kwargs):
    from .backends import get_backend

    # The remaining team's facility ids (ending a link saves it and goes through team_changed).
    get_backend().update_team(instance.patient_id)
    archive.changed(PATIENT_MODEL, instance.patient_id)


def facility_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        archive.facility_changed(instance.pk)


def register():
    from network.models import Facility, PatientPage, TeamLink
    from timeline.models import Attachment, Post

    post_save.connect(team_changed, sender=TeamLink, dispatch_uid="search_team_changed")
    post_delete.connect(team_link_deleted, sender=TeamLink, dispatch_uid="search_team_link_deleted")
    post_save.connect(facility_changed, sender=Facility, dispatch_uid="search_facility_saved")
    post_delete.connect(facility_changed, sender=Facility, dispatch_uid="search_facility_deleted")
    post_save.connect(post_saved, sender=Post, dispatch_uid="search_post_saved")
    post_save.connect(attachment_saved, sender=Attachment, dispatch_uid="search_attachment_saved")
    post_delete.connect(post_deleted, sender=Post, dispatch_uid="search_post_deleted")
    post_delete.connect(attachment_deleted, sender=Attachment, dispatch_uid="search_attachment_deleted")
    post_save.connect(page_saved, sender=PatientPage, dispatch_uid="search_patient_saved")
    # Senders named: a receiver for every model would turn off Django's fast deletes.
    post_delete.connect(page_deleted, sender=Page, dispatch_uid="search_page_deleted")
    post_delete.connect(page_deleted, sender=PatientPage, dispatch_uid="search_patient_deleted")
    page_published.connect(page_changed, dispatch_uid="search_page_published")
    page_unpublished.connect(page_changed, dispatch_uid="search_page_unpublished")
