"""Secrets at rest (issue 11, item 9): the secret key's length and file, key rotation for
stored tokens, and a credential no configured key can read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import ValidationError

from gitbrag.fakehub import FakeHub
from gitbrag.settings import Settings, private_file
from gitbrag.stores.credentials import CREDENTIAL_PREFIX, CredentialStore, key_id
from tests.fixtures.web import login, settings_for
from web.app import create_app

NS = "gitbrag:"  # the default key namespace (GITBRAG_REDIS_NAMESPACE)

OLD, NEW = "old-secret-key-" + "o" * 32, "new-secret-key-" + "n" * 32


def test_a_short_secret_key_is_refused_outside_dev_mode(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="GITBRAG_SECRET_KEY must be at least 32 bytes"):
        Settings(_env_file=None, secret_key="too-short", data_dir=tmp_path)  # type: ignore[call-arg]
    # 32 bytes, counted as bytes (not characters), pass; so does a developer's short key.
    assert Settings(_env_file=None, secret_key="é" * 16).secret_key  # type: ignore[call-arg]
    assert Settings(_env_file=None, secret_key="dev", dev=True).secret_key  # type: ignore[call-arg]


def test_the_dev_secret_key_file_is_private_from_its_first_byte(tmp_path: Path) -> None:
    umask = os.umask(0)  # the most permissive umask: the mode must come from the open call
    try:
        settings = Settings(_env_file=None, data_dir=tmp_path / "data", dev=True)  # type: ignore[call-arg]
        key = settings.resolved_secret_key()
    finally:
        os.umask(umask)
    path = tmp_path / "data" / "secret_key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    assert len(key) >= 48 and settings.resolved_secret_key() == key
    # A file made by another process in between wins: both agree on one value.
    assert private_file(path, lambda: "not used") == key


def test_rotation_reads_with_the_previous_key_and_rewrites_with_the_current(
    redis_client: redis.Redis,
) -> None:
    before = CredentialStore(redis_client, secret_key=OLD)
    ref = before.store("ghp_rotated", viewer_id="v", ttl_seconds=60)

    rotated = CredentialStore(redis_client, secret_key=NEW, previous_keys=(OLD,))
    assert not rotated.is_invalid(ref)
    assert rotated.token(ref) == "ghp_rotated"
    stored = cast(dict[bytes, bytes], redis_client.hgetall(NS + CREDENTIAL_PREFIX + ref))
    assert stored[b"key_id"].decode() == key_id(NEW)  # re-encrypted on first use
    assert 0 < redis_client.ttl(NS + CREDENTIAL_PREFIX + ref) <= 60  # expiry kept
    # Once the previous key is dropped, the rewritten credential still reads.
    assert CredentialStore(redis_client, secret_key=NEW).token(ref) == "ghp_rotated"
    assert before.is_invalid(ref) and before.token(ref) is None  # the old key alone cannot


def test_a_credential_no_configured_key_reads_is_invalid(redis_client: redis.Redis) -> None:
    ref = CredentialStore(redis_client, secret_key=OLD).store("t", viewer_id="v", ttl_seconds=60)
    changed = CredentialStore(redis_client, secret_key=NEW)  # rotated without _PREVIOUS
    assert changed.is_invalid(ref) and changed.token(ref) is None
    # Marking a deleted credential invalid does not bring it back without an expiry.
    redis_client.delete(NS + CREDENTIAL_PREFIX + ref)
    changed.mark_invalid(ref)
    assert not redis_client.exists(NS + CREDENTIAL_PREFIX + ref)


def test_a_session_whose_token_no_key_reads_ends_with_log_in_again(
    redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    def app(**keys: str) -> TestClient:
        settings = settings_for(redis_url, hub, tmp_path, **keys)
        return TestClient(
            create_app(settings), base_url="http://testserver", follow_redirects=False
        )

    with app(secret_key=OLD) as before:
        assert login(before, hub).status_code == 303
        cookies = dict(before.cookies)
    # Rotated with the previous key configured: still logged in.
    with app(secret_key=NEW, secret_key_previous=OLD) as rotated:
        rotated.cookies.update(cookies)
        assert "Log out" in rotated.get("/").text
    # The key changed and the old one is gone: "log in again", and the session is over.
    with app(secret_key="another-key-" + "x" * 32) as changed:
        changed.cookies.update(cookies)
        page = changed.get("/user/github/octocat")
        assert "Your GitHub login expired or was revoked" in page.text
        assert "Log out" not in changed.get("/").text
