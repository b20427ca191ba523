"""PostgreSQL's identifiers hold at most 63 bytes (NAMEDATALEN - 1): the server silently
truncates a longer one (and refuses a longer restore point name), so two long names the
tool makes could become one. `fit` makes every name the tool writes fit, distinctly."""

from __future__ import annotations

import hashlib

MAX_BYTES = 63


def fit(name: str, joiner: str = "_", digest_length: int = 8) -> str:
    """`name` when it fits in 63 bytes; else its head, `joiner` and a digest of the whole,
    within 63 bytes, so that two long names stay two."""
    raw = name.encode()
    if len(raw) <= MAX_BYTES:
        return name
    digest = hashlib.sha256(raw).hexdigest()[:digest_length]
    head = raw[: MAX_BYTES - len(digest) - len(joiner)].decode(errors="ignore")
    return f"{head}{joiner}{digest}"
