"""The index follows the data: saves, edits, ORM deletions (the consent purge) and rebuilds."""

from io import StringIO

from django.core.management import call_command
from django.db import connection

import pytest

from network.models import PatientPage
from search.models import SearchEntry
from search.query import search
from timeline.models import Attachment, Post

from .conftest import japanese_pdf, write

pytestmark = pytest.mark.django_db


def fulltext_hits(token):
    """Rows the vendor's full-text index itself still returns for ``token`` (a bigram)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT COUNT(*) FROM search_fts WHERE search_fts MATCH %s", [f'bigrams : "{token}"'])
        else:
            cursor.execute(
                "SELECT COUNT(*) FROM search_searchentry WHERE tsv @@ phraseto_tsquery('simple', %s)", [token]
            )
        return cursor.fetchone()[0]


def test_deleting_the_patient_through_the_orm_leaves_no_entry(team):
    write(team["nurse"], team["patient"], team["station"], "褥瘡の処置をしました。")
    assert fulltext_hits("褥瘡") == 1
    patient_pk = team["patient"].pk
    PatientPage.objects.get(pk=patient_pk).delete()
    assert not SearchEntry.objects.filter(patient_id=patient_pk).exists()
    assert fulltext_hits("褥瘡") == 0
    assert fulltext_hits("ふく") == 0  # the name went too


def test_deleting_a_post_through_the_orm_leaves_no_entry(team):
    post = write(team["nurse"], team["patient"], team["station"], "褥瘡の処置をしました。")
    Post.objects.filter(pk=post.pk).delete()
    assert fulltext_hits("褥瘡") == 0
    assert search(team["doctor"], "褥瘡").posts == []


def test_attachment_name_and_pdf_text_are_searchable_and_leave_with_the_file(team, signed_in):
    client = signed_in(team["nurse"])
    response = client.post(
        team["patient"].url,
        {"body": "紹介状を添付します", "files": [japanese_pdf("診療情報提供書 既往歴に狭心症あり", "紹介状_山田.pdf")]},
    )
    assert response.status_code == 302
    by_name = search(team["doctor"], "山田")
    assert len(by_name.posts) == 1
    assert "<mark>山田</mark>" in str(by_name.posts[0].attachments[0][1])
    by_text = search(team["doctor"], "狭心症")
    assert len(by_text.posts) == 1 and "<mark>狭心症</mark>" in str(by_text.posts[0].attachments[0][1])
    Attachment.objects.all().delete()
    assert search(team["doctor"], "狭心症").posts == []
    assert fulltext_hits("狭心") == 0


def test_deleting_a_post_through_the_service_removes_its_attachments_entries(team, signed_in):
    client = signed_in(team["nurse"])
    client.post(team["patient"].url, {"body": "資料", "files": [japanese_pdf("狭心症の経過", "経過.pdf")]})
    post = Post.objects.get()
    response = client.post(f"/timeline/posts/{post.pk}/delete/")
    assert response.status_code in (200, 302)
    assert Post.objects.get().deleted_at is not None
    assert not SearchEntry.objects.filter(kind__in=["post", "attachment"]).exists()
    assert fulltext_hits("狭心") == 0


def test_rebuild_search_restores_the_index(team):
    write(team["nurse"], team["patient"], team["station"], "褥瘡の処置をしました。")
    SearchEntry.objects.all().delete()
    assert search(team["doctor"], "褥瘡").posts == []
    out = StringIO()
    call_command("rebuild_search", stdout=out)
    assert "1 posts" in out.getvalue() and "2 patients" in out.getvalue()
    assert len(search(team["doctor"], "褥瘡").posts) == 1
    assert [p.title for p, _s, _u in search(team["doctor"], "ふくい").patients] == ["福井 トメ"]


def test_renaming_a_patient_reindexes_the_name(team):
    patient = team["patient"]
    patient.title, patient.name_kana = "福井 トミ", "ふくい とみ"
    patient.save_revision().publish()
    assert [p.title for p, _s, _u in search(team["nurse"], "とみ").patients] == ["福井 トミ"]
    assert search(team["nurse"], "とめ").patients == []


def test_long_post_is_found_at_its_end(team):
    body = "経過観察。" * 1900 + "最後に褥瘡あり。"
    write(team["nurse"], team["patient"], team["station"], body)
    assert SearchEntry.objects.filter(kind="post").count() >= 2
    assert len(search(team["doctor"], "褥瘡").posts) == 1
