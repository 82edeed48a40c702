"""Web Push to a real HTTP endpoint on loopback: encrypted, VAPID-signed, content-free."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from django.test import Client

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.factories import FacilityFactory, join_team, make_patient, make_staff
from timeline.management.commands.vapid_keys import new_key_pair
from timeline.models import PushSubscription

pytestmark = pytest.mark.django_db


class _PushService(BaseHTTPRequestHandler):
    received = []
    status = 201

    def do_POST(self):  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def push_service():
    _PushService.received = []
    _PushService.status = 201
    server = HTTPServer(("127.0.0.1", 0), _PushService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _PushService
    server.shutdown()


@pytest.fixture
def vapid(settings):
    public, private = new_key_pair()
    settings.WEBPUSH_VAPID_PUBLIC_KEY = public
    settings.WEBPUSH_VAPID_PRIVATE_KEY = private
    return public


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _browser_keys():
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return private, _b64(public), b"0123456789abcdef"


@pytest.fixture
def team():
    clinic = FacilityFactory()
    nurse, doctor = make_staff(clinic), make_staff(clinic, job_title="医師")
    patient = make_patient("福井 トメ", "ふくい とめ")
    join_team(patient, clinic, nurse, doctor)
    return {"patient": patient, "nurse": nurse, "doctor": doctor}


def test_new_post_is_pushed_encrypted_and_without_content(
    team, signed_in, vapid, push_service, django_capture_on_commit_callbacks
):
    base, service = push_service
    private, p256dh, auth = _browser_keys()
    doctor = signed_in(team["doctor"])
    response = doctor.post(
        "/timeline/push/subscribe/",
        json.dumps({"endpoint": f"{base}/push/doctor", "keys": {"p256dh": p256dh, "auth": _b64(auth)}}),
        content_type="application/json",
    )
    assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(team["nurse"]).post(team["patient"].url, {"body": "発熱あり MARKER-PUSH"})
    assert len(service.received) == 1
    headers, body = service.received[0]
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=") and vapid in headers["authorization"]
    payload = json.loads(http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm"))
    assert payload["body"] == "新しいお知らせがあります"
    text = json.dumps(payload, ensure_ascii=False)
    assert "福井" not in text and "MARKER-PUSH" not in text and "発熱" not in text
    assert PushSubscription.objects.get().last_success_at is not None


def test_gone_subscription_is_removed(team, signed_in, vapid, push_service, django_capture_on_commit_callbacks):
    base, service = push_service
    service.status = 410
    _private, p256dh, auth = _browser_keys()
    PushSubscription.objects.create(user=team["doctor"], endpoint=f"{base}/gone", p256dh=p256dh, auth=_b64(auth))
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(team["nurse"]).post(team["patient"].url, {"body": "連絡"})
    assert len(service.received) == 1
    assert not PushSubscription.objects.exists()


def test_subscribe_is_off_without_keys(team, signed_in, settings):
    settings.WEBPUSH_VAPID_PUBLIC_KEY = ""
    response = signed_in(team["doctor"]).post(
        "/timeline/push/subscribe/", json.dumps({"endpoint": "https://push.example/x", "keys": {}}),
        content_type="application/json",
    )
    assert response.status_code == 404


def test_malformed_subscription_gets_a_japanese_message(team, signed_in, vapid):
    response = signed_in(team["doctor"]).post(
        "/timeline/push/subscribe/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "通知の登録情報が正しくありません" in response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_subscribe_needs_the_csrf_token(team, vapid, signed_in):
    client = Client(enforce_csrf_checks=True)
    client.cookies = signed_in(team["doctor"]).cookies
    response = client.post(
        "/timeline/push/subscribe/",
        json.dumps({"endpoint": "https://push.example/x", "keys": {"p256dh": "a", "auth": "b"}}),
        content_type="application/json",
    )
    assert response.status_code == 403


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"showNotification" in response.content
