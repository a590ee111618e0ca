"""Reviewers are named: by their own token, or by name beside the shared token, or by name alone
on loopback; their signed cookie cannot be forged or carried to another server."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.errors import ConfigError
from candor.serving import Reviewers
from candor.serving._reviewers import parse_reviewers


def test_a_reviewers_own_token_names_them(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CANDOR_TOKEN", raising=False)
    monkeypatch.setenv("CANDOR_REVIEWERS", "ana=ana-secret-1,ben=ben-secret-2")
    r = Reviewers.from_env(tmp_path)
    assert r.mode == "token" and r.tokens_required
    assert r.sign_in("whoever", "ben-secret-2") == "ben"
    with pytest.raises(ValueError, match="unknown token"):
        r.sign_in("ana", "guess-guess")
    assert r.token_ok("ana-secret-1") and not r.token_ok("ana-secret-")


def test_the_shared_token_needs_a_name_beside_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CANDOR_TOKEN", "shared-token")
    monkeypatch.delenv("CANDOR_REVIEWERS", raising=False)
    r = Reviewers.from_env(tmp_path)
    assert r.mode == "name+token"
    assert r.sign_in("  Ana   Lima ", "shared-token") == "Ana Lima"
    with pytest.raises(ValueError, match="wrong token"):
        r.sign_in("ana", "nope")
    with pytest.raises(ValueError, match="give your name"):
        r.sign_in("", "shared-token")


def test_cookies_are_signed_and_tied_to_the_project_and_tokens(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CANDOR_TOKEN", raising=False)
    monkeypatch.delenv("CANDOR_REVIEWERS", raising=False)
    r = Reviewers.from_env(tmp_path / "a")
    assert r.mode == "name" and not r.tokens_required
    cookie = r.cookie_for("ana")
    assert r.name_from_cookie(cookie) == "ana"
    # a second worker of the same server (same project secret) accepts it
    assert Reviewers.from_env(tmp_path / "a").name_from_cookie(cookie) == "ana"
    forged = b"ben".hex() + "." + cookie.split(".")[1]
    assert r.name_from_cookie(forged) is None
    assert r.name_from_cookie("garbage") is None and r.name_from_cookie(None) is None
    assert Reviewers.from_env(tmp_path / "b").name_from_cookie(cookie) is None
    monkeypatch.setenv("CANDOR_TOKEN", "rotated-token")
    assert Reviewers.from_env(tmp_path / "a").name_from_cookie(cookie) is None


def test_a_malformed_reviewer_list_says_how_to_write_it() -> None:
    with pytest.raises(ConfigError, match="write name=token"):
        parse_reviewers("ana:secret")
    with pytest.raises(ConfigError, match="under 8 characters"):
        parse_reviewers("ana=short")
