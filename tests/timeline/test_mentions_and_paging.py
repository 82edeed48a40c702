"""@-mentions notify the named team member; htmx paging returns only the next posts."""

import json
import re

import pytest

from tests.factories import FacilityFactory, join_team, make_patient, make_staff
from timeline.models import Notification, Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    clinic = FacilityFactory()
    nurse = make_staff(clinic, last_name="田中", first_name="由美")
    doctor = make_staff(clinic, job_title="医師", last_name="山田", first_name="一郎")
    colleague = make_staff(clinic, last_name="佐藤", first_name="花子")
    outsider = make_staff(FacilityFactory(), last_name="部外", first_name="者")
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, clinic, nurse, doctor, colleague)
    return {"patient": patient, "nurse": nurse, "doctor": doctor, "colleague": colleague, "outsider": outsider}


def test_mention_notifies_the_named_member_as_a_mention(team, signed_in):
    client = signed_in(team["nurse"])
    client.post(team["patient"].url, {"body": "@山田一郎 先生、ご確認ください。@部外者 さんは対象外"})
    assert Notification.objects.get(user=team["doctor"]).kind == "mention"
    assert Notification.objects.get(user=team["colleague"]).kind == "new_post"
    assert not Notification.objects.filter(user=team["outsider"]).exists()


def test_mentions_are_highlighted_and_the_composer_offers_team_names(team, signed_in):
    client = signed_in(team["nurse"])
    client.post(team["patient"].url, {"body": "@山田 一郎 先生へ"})
    body = signed_in(team["colleague"]).get(team["patient"].url).content.decode()
    choices = json.loads(re.search(r'<script id="mention-choices"[^>]*>(.*?)</script>', body).group(1))
    assert {c["handle"] for c in choices} == {"山田一郎", "田中由美"}  # the team, minus oneself
    assert "部外" not in body
    client.post(team["patient"].url, {"body": "@山田一郎 再送"})
    body = signed_in(team["colleague"]).get(team["patient"].url).content.decode()
    assert '<span class="mention">@山田一郎</span>' in body


def test_htmx_paging_returns_only_the_next_posts(team, signed_in):
    Post.objects.bulk_create(
        [Post(patient=team["patient"], author=team["nurse"], facility=team["patient"].team_links.first().facility,
              body=f"記録{i:03d}") for i in range(40)]
    )
    client = signed_in(team["doctor"])
    cursor = Post.objects.get(body="記録010").pk
    response = client.get(team["patient"].url + f"?before={cursor}", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "記録009" in body and "記録010" not in body
    assert "以前の投稿を見る" not in body  # only 10 older posts: the last page


def test_htmx_paging_is_still_behind_the_policy(team, signed_in):
    response = signed_in(team["outsider"]).get(team["patient"].url + "?before=999", HTTP_HX_REQUEST="true")
    assert response.status_code == 404
