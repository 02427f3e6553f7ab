"""The receiving end over HTTP: what is accepted, what is refused, what is stored."""

from __future__ import annotations

import shutil
import sqlite3
import ssl
import subprocess
import uuid

import httpx
import orjson
import pytest

from akeneo_sync.listen import verify

from .helpers import PIM, PRIMARY, SECONDARY, signed


def an_event(**data: object) -> bytes:
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "akeneo-event-platform",
        "type": PIM + "product-model.updated",
        "time": "2026-05-12T09:41:07Z",
        "data": data or {"product_model": {"code": "no_such_model"}},
    }
    return orjson.dumps(event)


def test_signatures_are_checked_on_the_raw_body(listen, tmp_path) -> None:
    running = listen(secrets=(PRIMARY, SECONDARY), batch_wait=3600, spool=str(tmp_path / "s"))
    body = an_event()
    post = lambda content, headers: httpx.post(running.url, content=content, headers=headers)  # noqa: E731
    assert post(body, signed(body)).status_code == 200
    # Either configured secret, in either header: a rotation accepts the old and the new.
    other = an_event()
    assert post(other, signed(other, SECONDARY, "SECONDARY")).status_code == 200
    refused = [
        (body, signed(body, "a-wrong-secret-of-some-length")),
        (body.replace(b"no_such_model", b"another_model"), signed(body)),  # altered body
        (body, {"Content-Type": "application/json"}),  # no signature
        (body, {**signed(body), "X-AKENEO-SIGNATURE-ALGORITHM": "HmacSHA1"}),
        (orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2), signed(body)),
    ]
    for content, headers in refused:
        r = post(content, headers)
        assert r.status_code == 401, (headers, r.text)
    health = running.health()
    assert health["received"] == 2 and health["rejected"] == len(refused)
    with sqlite3.connect(tmp_path / "s") as db:
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 2


def test_duplicates_are_stored_once_and_acknowledged(listen, tmp_path) -> None:
    running = listen(batch_wait=3600, spool=str(tmp_path / "s"))
    body = an_event()
    for _ in range(3):
        r = httpx.post(running.url, content=body, headers=signed(body))
        assert r.status_code == 200
        assert r.elapsed.total_seconds() < 1  # the platform allows 5 s
    assert r.json() == {"status": "duplicate"}
    health = running.health()
    assert (health["received"], health["duplicates"], health["pending"]) == (1, 2, 1)


def test_answers_that_keep_the_subscription_alive(listen) -> None:
    running = listen(batch_wait=3600, spool_limit=2)
    base = running.base
    # A trailing slash is served, not redirected: a 3xx would suspend the subscription.
    bodies = [an_event() for _ in range(3)]
    answers = [
        httpx.post(base + "/" + "/" * n, content=b, headers=signed(b)).status_code
        for n, b in enumerate(bodies)
    ]
    assert answers == [200, 200, 429]  # the spool holds two: the platform slows down
    garbage = b'{"no": "id"}'
    assert httpx.post(running.url, content=garbage, headers=signed(garbage)).status_code == 400
    assert httpx.get(running.url).status_code == 200
    assert httpx.get(base + "/elsewhere").status_code == 404
    assert httpx.put(running.url, content=b"").status_code == 405
    health = httpx.get(base + "/healthz").json()
    assert health["status"] == "ok" and health["pending"] == 2 and health["full"] == 1


def test_https_with_a_certificate(listen, tmp_path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    running = listen(certfile=str(cert), keyfile=str(key), batch_wait=3600)
    assert running.url.startswith("https://")
    body = an_event()
    trust = ssl.create_default_context(cafile=str(cert))
    r = httpx.post(running.url, content=body, headers=signed(body), verify=trust)
    assert r.status_code == 200 and r.json() == {"status": "accepted"}


def test_the_reference_test_vector() -> None:
    body = (
        b'{"specversion":"1.0","id":"0198f3a2-5c1e-7b40-9d2a-6f1e2c3b4a51","source":"akeneo-ev'
        b'ent-platform","type":"com.akeneo.pim.v1.product.updated","subject":"0198f390-11aa-7c'
        b'3d-8e4f-a1b2c3d4e5f6","datacontenttype":"application/json","dataschema":"https://eve'
        b'nt.prd.sdk.akeneo.cloud/spec/com.akeneo.pim.v1.product.updated.schema.json","time":"'
        b'2026-05-12T09:41:07Z","data":{"product":{"uuid":"5b1f0a8e-2d6c-4f7a-9b3e-0c8d1e2f3a4'
        b'b","identifier":"SKU-10042"},"author":{"identifier":"1_4x3mpl3cl13nt1d","type":"api"}}}'
    )
    assert len(body) == 507
    headers = {
        "x-akeneo-signature-primary": (
            "72d1a555afc31949da8fd0f70ffddc7641cb865f5c5dd1a5f83eff9cc7ee2dbb"
        ),
        "x-akeneo-signature-secondary": (
            "d79ecd111dd5af30aae8bb75bcbe5502b946d369d7d799711c64524b72ac858d"
        ),
    }
    assert verify(body, headers, [PRIMARY])
    assert verify(
        body, {"x-akeneo-signature-secondary": headers["x-akeneo-signature-secondary"]}, [SECONDARY]
    )
    assert not verify(body, headers, ["averysecretprimarysecreT"])
