"""Who is reviewing: every action on the review page is named.

Three ways a server can be set up, from the environment (tokens are secrets: never candor.toml):

- ``CANDOR_REVIEWERS="alice=TOKEN1,bob=TOKEN2"``: each reviewer signs in with their own token,
  which names them; the same tokens work as API tokens (``Authorization: Bearer``);
- ``CANDOR_TOKEN`` only: one shared token, and the reviewer types their name beside it;
- neither (loopback only, nobody else can reach the server): the reviewer types their name.

A signed-in reviewer carries an HMAC-signed cookie (``HttpOnly``, ``SameSite=Strict``). The key
comes from the tokens and a per-project secret file, so every worker of one server accepts the
cookies the others issued, and a cookie from another project or token set is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from candor.errors import ConfigError

COOKIE = "candor_reviewer"
SECRET_FILE = "review.secret"


def _project_secret(workspace: Path | None) -> bytes:
    """A random secret kept in the project's workspace (created once, readable by its owner)."""
    if workspace is None:
        return secrets.token_bytes(32)
    workspace.mkdir(parents=True, exist_ok=True)
    path = workspace / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_hex(32).encode())
    return path.read_bytes()


def parse_reviewers(text: str) -> dict[str, str]:
    """``"alice=TOKEN1,bob=TOKEN2"`` as {token: name}.

    >>> parse_reviewers("alice=s3cret-a, bob=s3cret-b")
    {'s3cret-a': 'alice', 's3cret-b': 'bob'}
    """
    out: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, token = part.partition("=")
        name, token = name.strip(), token.strip()
        if not sep or not name or not token:
            raise ConfigError(
                f"CANDOR_REVIEWERS entry {part.strip()[:40]!r}: write name=token, separated by "
                "commas (e.g. alice=TOKEN1,bob=TOKEN2)"
            )
        if len(token) < 8:
            raise ConfigError(f"CANDOR_REVIEWERS: {name}'s token is under 8 characters")
        out[token] = name
    return out


@dataclass(frozen=True)
class Reviewers:
    """The server's tokens and how reviewers are named (see the module's docstring)."""

    api_token: str | None = None
    named: dict[str, str] = field(default_factory=dict)
    key: bytes = b""

    @classmethod
    def from_env(cls, workspace: Path | None = None) -> Reviewers:
        api = os.environ.get("CANDOR_TOKEN") or None
        named = parse_reviewers(os.environ.get("CANDOR_REVIEWERS", ""))
        material = b"\0".join(
            [
                b"candor-review",
                (api or "").encode(),
                *(t.encode() for t in sorted(named)),
                _project_secret(workspace),
            ]
        )
        return cls(api, named, hashlib.sha256(material).digest())

    @property
    def tokens_required(self) -> bool:
        """Whether requests must carry a token (a shared one or a reviewer's)."""
        return self.api_token is not None or bool(self.named)

    @property
    def mode(self) -> str:
        """How the sign-in form asks: ``token`` (names from tokens), ``name+token``, ``name``."""
        if self.named:
            return "token"
        return "name+token" if self.api_token else "name"

    def token_ok(self, given: str) -> bool:
        """Whether ``given`` is the shared token or a reviewer's (compared in constant time)."""
        found = False
        for t in [*((self.api_token and [self.api_token]) or []), *self.named]:
            found |= hmac.compare_digest(given.encode(), t.encode())
        return found

    def name_for_token(self, given: str) -> str | None:
        for t, name in self.named.items():
            if hmac.compare_digest(given.encode(), t.encode()):
                return name
        return None

    def sign_in(self, name: str, token: str) -> str:
        """The reviewer's name once signed in, or a :class:`ValueError` saying what is wrong."""
        name = " ".join(name.split())[:100]
        if self.mode == "token":
            found = self.name_for_token(token.strip())
            if found is None:
                raise ValueError("unknown token: use the token you were given for reviewing")
            return found
        if self.mode == "name+token" and not self.token_ok(token.strip()):
            raise ValueError("wrong token: use the server's CANDOR_TOKEN")
        if not name:
            raise ValueError("give your name: every review is recorded under it")
        return name

    def cookie_for(self, name: str) -> str:
        mac = hmac.new(self.key, name.encode(), hashlib.sha256).hexdigest()
        return f"{name.encode().hex()}.{mac}"

    def name_from_cookie(self, value: str | None) -> str | None:
        if not value or "." not in value:
            return None
        hexname, _, mac = value.rpartition(".")
        try:
            name = bytes.fromhex(hexname).decode()
        except ValueError:
            return None
        good = hmac.new(self.key, name.encode(), hashlib.sha256).hexdigest()
        return name if hmac.compare_digest(mac, good) else None
