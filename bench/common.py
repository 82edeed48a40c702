"""Builders shared by the benchmarks (Django must be set up before calling them)."""

import uuid
from datetime import date, timedelta


def bulk_create_patients(rng, n, now):
    """``n`` live PatientPages under the patients index, fast.

    Page rows get a correct materialised path; the PatientPage rows go in with the
    insert query Model.save() uses, since bulk_create refuses multi-table
    inheritance. Returns (page primary keys, patient UUIDs), in creation order.
    """
    from django.contrib.contenttypes.models import ContentType

    from wagtail.models import Page

    from network.models import PatientPage, PatientsIndexPage

    index = PatientsIndexPage.objects.get()
    content_type = ContentType.objects.get_for_model(PatientPage)
    pages, patient_uuids = [], []
    for i in range(n):
        patient_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        slug = patient_id.hex
        title = f"患者 {i:05d}"
        patient_uuids.append(patient_id)
        pages.append(
            Page(
                title=title,
                draft_title=title,
                slug=slug,
                content_type=content_type,
                path=index.path + PatientPage._int2str(i + 1).rjust(PatientPage.steplen, "0"),
                depth=index.depth + 1,
                numchild=0,
                url_path=f"{index.url_path}{slug}/",
                locale_id=index.locale_id,
                live=True,
                has_unpublished_changes=False,
                first_published_at=now,
                last_published_at=now,
                show_in_menus=False,
            )
        )
    Page.objects.bulk_create(pages, batch_size=500)
    patients = [
        PatientPage(
            page_ptr_id=page.pk,
            patient_id=patient_id,
            name_kana=f"かんじゃ {i:05d}",
            birth_date=date(1925, 1, 1) + timedelta(days=rng.randrange(365 * 60)),
            sex=rng.choice(["female", "male"]),
            address="",
            secretariat_note="",
        )
        for i, (page, patient_id) in enumerate(zip(pages, patient_uuids, strict=True))
    ]
    fields = PatientPage._meta.local_concrete_fields
    batch = max(1, 999 // len(fields))
    for start in range(0, len(patients), batch):
        PatientPage._base_manager._insert(patients[start : start + batch], fields=fields)
    Page.objects.filter(pk=index.pk).update(numchild=n)
    return [page.pk for page in pages], patient_uuids
