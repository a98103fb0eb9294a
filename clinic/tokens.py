"""One-time link tokens (intake invitations, check-ins). Only the SHA-256 of a token is stored,
so a leaked table opens nothing; the raw token lives only in the link sent to the patient."""

import hashlib
import secrets


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_new() -> tuple[str, str]:
    """A fresh (raw token, its hash) pair; 32 random bytes, URL-safe."""
    raw = secrets.token_urlsafe(32)
    return raw, token_hash(raw)
