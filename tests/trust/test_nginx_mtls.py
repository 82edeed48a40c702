"""Mutual TLS for real: Debian's nginx in front of the app served by gunicorn.

nginx (TLS 1.3 only, ``ssl_verify_client optional``, our CA and CRL) forwards the verify
result and serial; the app, behind it, refuses signed-in pages without an active
certificate of the signed-in user. The database is the test's own (committed rows:
``transactional_db``), shared with gunicorn through its name; ports are random free ones.
The configuration is the one in docs/deployment.md, with temporary paths.
"""

import datetime
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time

from django.conf import settings as django_settings
from django.db import connection

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tests.factories import PASSWORD, FacilityFactory, make_staff
from trust import ca, services

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)

pytestmark = [
    pytest.mark.nginx,
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (make test-system-deps installs nginx-light)"),
]

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_protocols TLSv1.3;
        ssl_certificate {d}/server.pem;
        ssl_certificate_key {d}/server.key;
        ssl_client_certificate {d}/ca.pem;
        ssl_crl {d}/crl.pem;
        ssl_verify_client optional;
        ssl_verify_depth 1;
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
            proxy_set_header X-SSL-Client-Serial $ssl_client_serial;
            proxy_set_header X-SSL-Client-S-DN $ssl_client_s_dn;
        }}
        error_page 495 = @client_cert_failed;
        location @client_cert_failed {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
            proxy_set_header X-SSL-Client-Serial $ssl_client_serial;
            proxy_set_header X-SSL-Client-S-DN $ssl_client_s_dn;
        }}
    }}
}}
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def _server_certificate(directory):
    """A throw-away server CA (server-ca.pem, what the clients trust) and localhost's certificate."""
    import ipaddress

    now = datetime.datetime.now(datetime.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test server CA")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    (directory / "server-ca.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (directory / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _client_files(directory, name, bundle, password):
    """The PEM files a device would hold after importing its PKCS#12 bundle."""
    key, cert, _extra = pkcs12.load_key_and_certificates(bundle, password.encode())
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def _app_environment(crl_file):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"}
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        env["TEST_SQLITE_PATH"] = str(db["NAME"])
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = (
            f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    env.update(
        {
            "MIMAMORI_REQUIRE_CLIENT_CERT": "1",
            "TRUSTED_PROXY_ADDRESSES": "127.0.0.1",
            "MIMAMORI_CRL_FILE": str(crl_file),
        }
    )
    return env


@pytest.fixture
def stack(transactional_db, tmp_path, settings):
    """CA, nginx and gunicorn; yields what the test needs; stops both afterwards."""
    d = tmp_path
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (d / "tmp" / sub).mkdir(parents=True)
    settings.TRUST_CRL_FILE = str(d / "crl.pem")
    authority = ca.init_ca()
    ca.write_crl_file(authority.crl_pem)
    (d / "ca.pem").write_text(authority.certificate_pem)
    _server_certificate(d)

    app_port, tls_port = _free_port(), _free_port()
    app = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "cms.wsgi:application", "--bind", f"127.0.0.1:{app_port}",
         "--workers", "1", "--access-logfile", str(d / "gunicorn.log"), "--error-logfile", str(d / "gunicorn.log")],
        cwd=django_settings.BASE_DIR,
        env=_app_environment(d / "crl.pem"),
        stdout=(d / "app.out").open("wb"),
        stderr=subprocess.STDOUT,
    )
    (d / "nginx.conf").write_text(NGINX_CONF.format(d=d, port=tls_port, app_port=app_port))
    nginx_args = [NGINX, "-e", str(d / "error.log"), "-c", str(d / "nginx.conf"), "-p", f"{d}/"]
    proxy = subprocess.Popen(nginx_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        _wait_for_port(app_port, app)
        _wait_for_port(tls_port, proxy)

        def reload():
            subprocess.run([*nginx_args, "-s", "reload"], check=True, capture_output=True)  # noqa: S603

        yield {"dir": d, "url": f"https://127.0.0.1:{tls_port}", "port": tls_port, "reload": reload}
    finally:
        proxy.send_signal(signal.SIGQUIT)
        app.terminate()
        for process in (proxy, app):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _session(stack, cert=None):
    session = requests.Session()
    session.trust_env = False  # no proxies or CA bundles from the environment
    session.verify = str(stack["dir"] / "server-ca.pem")
    if cert:
        session.cert = cert
    return session


def _sign_in(session, stack, user):
    page = session.get(stack["url"] + "/accounts/login/", timeout=10)
    assert page.status_code == 200
    response = session.post(
        stack["url"] + "/accounts/login/",
        data={
            "username": user.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        # gunicorn takes X-Forwarded-Proto from the proxy: the request is HTTPS, so
        # Django checks the Referer as it does for a browser.
        headers={"Referer": stack["url"] + "/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:300]


@pytest.fixture
def nurse_with_certificate(stack):
    clinic = FacilityFactory(name="みまもり医院")
    nurse = make_staff(clinic)
    cert, password, token = services.issue_certificate(nurse, "タブレット", facility=clinic, actor=None)
    _c, bundle = services.take_bundle(token)
    return nurse, cert, _client_files(stack["dir"], "nurse", bundle, password)


def test_without_a_certificate_signed_in_pages_are_refused(stack, nurse_with_certificate):
    nurse, _cert, _files = nurse_with_certificate
    session = _session(stack)
    _sign_in(session, stack, nurse)  # the password alone is accepted by the sign-in page ...
    # ... but no signed-in page is served, even with the proxy's headers forged by the client.
    response = session.get(
        stack["url"] + "/home/",
        headers={"X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-Serial": f"{int(_cert.serial_number):X}"},
        timeout=10,
    )
    assert response.status_code == 403
    assert "端末証明書が入っていない" in response.text


def test_with_a_good_certificate_the_app_works(stack, nurse_with_certificate):
    nurse, _cert, files = nurse_with_certificate
    session = _session(stack, files)
    _sign_in(session, stack, nurse)
    response = session.get(stack["url"] + "/home/", timeout=10)
    assert response.status_code == 200
    assert "患者一覧" in response.text
    mine = session.get(stack["url"] + "/trust/devices/mine/", timeout=10)
    assert "証明書「タブレット」で確認されています" in mine.text


def test_revoked_certificate_is_refused_after_the_crl_reload(stack, nurse_with_certificate):
    nurse, cert, files = nurse_with_certificate
    session = _session(stack, files)
    _sign_in(session, stack, nurse)
    assert session.get(stack["url"] + "/home/", timeout=10).status_code == 200

    services.revoke_certificate(cert, actor=None)
    crl = x509.load_pem_x509_crl((stack["dir"] / "crl.pem").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(int(cert.serial_number)) is not None
    # Before the reload nginx still says SUCCESS; the app refuses on its own records.
    stale = _session(stack, files)
    stale.cookies.update(session.cookies)
    before = stale.get(stack["url"] + "/home/", timeout=10)
    assert before.status_code == 403 and "失効しているか" in before.text

    stack["reload"]()
    deadline = time.monotonic() + 15
    while True:
        fresh = _session(stack, files)  # a new TLS connection after the reload
        fresh.cookies.update(session.cookies)
        response = fresh.get(stack["url"] + "/home/", timeout=10)
        if "確認できませんでした" in response.text or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert response.status_code == 403
    assert "確認できませんでした" in response.text  # nginx itself said FAILED:certificate revoked
    access_log = (stack["dir"] / "access.log").read_text()
    assert re.search(r"GET /home/ HTTP/1.1\" 403", access_log)


def test_tls_1_2_is_refused(stack):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", stack["port"]), timeout=5) as raw:
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(raw, server_hostname="localhost")
    # ... while TLS 1.3 is accepted on the same port.
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection(("127.0.0.1", stack["port"]), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.3"


def test_disaster_mode_lets_a_device_without_certificate_in(stack, nurse_with_certificate):
    nurse, _cert, _files = nurse_with_certificate
    services.start_disaster_mode("地震による停電", 24, actor=None)
    session = _session(stack)
    _sign_in(session, stack, nurse)
    response = session.get(stack["url"] + "/home/", timeout=10)
    assert response.status_code == 200
    assert "災害時モード実施中" in response.text
