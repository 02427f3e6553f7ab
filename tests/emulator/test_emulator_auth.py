"""Token endpoint and bearer checks, with Akeneo's exact messages."""

from __future__ import annotations

import base64
import time

import click
import httpx
import pytest

from akeneo_sync.emulator import EmulatorConfig, EmulatorServer

from .conftest import login


def test_password_grant_json_and_form(server) -> None:
    with httpx.Client(base_url=server.url) as c:
        body = login(c)
        assert set(body) == {"access_token", "expires_in", "token_type", "scope", "refresh_token"}
        assert body["expires_in"] == 3600 and body["token_type"] == "bearer"
        r = c.post(
            "/api/oauth/v1/token",
            auth=("demo", "demo-secret"),
            data={"grant_type": "password", "username": "demo", "password": "demo"},
        )
        assert r.status_code == 200


def test_token_errors(server) -> None:
    with httpx.Client(base_url=server.url) as c:

        def post(json=None, auth=("demo", "demo-secret"), content=None):
            return c.post("/api/oauth/v1/token", auth=auth, json=json, content=content)

        ok = {"grant_type": "password", "username": "demo", "password": "demo"}
        r = post(ok, auth=("demo", "wrong"))
        assert r.status_code == 422
        assert r.json()["message"].startswith('Parameter "client_id" is missing')
        r = c.post("/api/oauth/v1/token", json=ok)
        assert r.status_code == 422 and "client_id" in r.json()["message"]
        r = post({"grant_type": "password", "username": "demo"})
        assert r.json() == {
            "code": 422,
            "message": 'Parameter "grant_type", "username" or "password" is missing, empty or '
            "invalid",
        }
        r = post({**ok, "password": "nope"})
        assert r.json()["message"] == "No user found for the given username and password"
        r = post({"grant_type": "refresh_token"})
        assert (
            r.json()["message"] == 'Parameter "grant_type" or "refresh_token" is missing or empty'
        )
        r = post({"grant_type": "refresh_token", "refresh_token": "bogus"})
        assert r.json()["message"] == "Refresh token is invalid or has expired"
        r = post({"grant_type": "client_credentials"})
        assert r.json()["message"] == "This grant type is not authorized for this client"
        r = post(content=b"{" + b" " * 300 + b"}")
        assert r.json()["message"] == "The request content size is too large"


def test_refresh_rotates_and_old_refresh_token_is_rejected(server) -> None:
    with httpx.Client(base_url=server.url) as c:
        first = login(c)
        body = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        r = c.post("/api/oauth/v1/token", auth=("demo", "demo-secret"), json=body)
        assert r.status_code == 200
        second = r.json()
        assert second["refresh_token"] != first["refresh_token"]
        assert second["access_token"] != first["access_token"]
        again = c.post("/api/oauth/v1/token", auth=("demo", "demo-secret"), json=body)
        assert again.status_code == 422
        ok = c.get(
            "/api/rest/v1/channels",
            headers={"Authorization": f"Bearer {second['access_token']}"},
        )
        assert ok.status_code == 200


def test_missing_invalid_and_expired_tokens(fresh) -> None:
    with httpx.Client(base_url=fresh.url) as c:
        r = c.get("/api/rest/v1/products-uuid")
        assert r.status_code == 401
        assert r.json() == {"code": 401, "message": "Authentication is required"}
        basic = base64.b64encode(b"demo:demo-secret").decode()
        r = c.get("/api/rest/v1/products-uuid", headers={"Authorization": f"Basic {basic}"})
        assert r.status_code == 401
        r = c.get("/api/rest/v1/products-uuid", headers={"Authorization": "Bearer garbage"})
        assert r.status_code == 401
        tokens = login(c)
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert c.get("/api/rest/v1/locales", headers=auth).status_code == 200
        c.post("/_emulator/clock", json={"advance": 3601})
        r = c.get("/api/rest/v1/locales", headers=auth)
        assert r.status_code == 401
        assert r.json()["message"] == "The access token provided has expired."
        # The refresh works exactly once.
        body = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        r = c.post("/api/oauth/v1/token", auth=("demo", "demo-secret"), json=body)
        assert r.status_code == 200
        new = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert c.get("/api/rest/v1/locales", headers=new).status_code == 200
        r = c.post("/api/oauth/v1/token", auth=("demo", "demo-secret"), json=body)
        assert r.status_code == 422


def test_token_ttl_option(fresh) -> None:
    with httpx.Client(base_url=fresh.url) as c:
        c.post("/_emulator/faults", json={"token_ttl": 5})
        tokens = login(c)
        assert tokens["expires_in"] == 5
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        c.post("/_emulator/clock", json={"advance": 6})
        assert c.get("/api/rest/v1/locales", headers=auth).status_code == 401
        stats = c.get("/_emulator/stats").json()
        assert stats["tokens_issued"] == 1


def test_short_token_ttl_and_refresh_rotation_chain() -> None:
    from akeneo_sync.emulator.cli import emulator_command

    assert emulator_command.make_context("emulator", ["--token-ttl", "5"]).params["token_ttl"] == 5
    with pytest.raises(click.BadParameter):
        emulator_command.make_context("emulator", ["--token-ttl", "0"])
    with (
        EmulatorServer(EmulatorConfig(port=0, products=20, token_ttl=5)) as srv,
        httpx.Client(base_url=srv.url) as c,
    ):
        tokens = login(c)
        assert tokens["expires_in"] == 5
        used: list[str] = []
        for _ in range(3):
            auth = {"Authorization": f"Bearer {tokens['access_token']}"}
            assert c.get("/api/rest/v1/locales", headers=auth).status_code == 200
            c.post("/_emulator/clock", json={"advance": 6})
            assert c.get("/api/rest/v1/locales", headers=auth).status_code == 401
            body = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
            r = c.post("/api/oauth/v1/token", auth=("demo", "demo-secret"), json=body)
            assert r.status_code == 200 and r.json()["expires_in"] == 5
            used.append(tokens["refresh_token"])
            tokens = r.json()
            assert tokens["refresh_token"] not in used
        for old in used:  # every consumed refresh token stays refused
            body = {"grant_type": "refresh_token", "refresh_token": old}
            r = c.post("/api/oauth/v1/token", auth=("demo", "demo-secret"), json=body)
            assert r.status_code == 422
            assert r.json()["message"] == "Refresh token is invalid or has expired"
        # And in real time, without moving the clock: a 1 s token expires after 1 s.
        c.post("/_emulator/faults", json={"token_ttl": 1})
        auth = {"Authorization": f"Bearer {login(c)['access_token']}"}
        assert c.get("/api/rest/v1/locales", headers=auth).status_code == 200
        time.sleep(1.2)
        assert c.get("/api/rest/v1/locales", headers=auth).status_code == 401
