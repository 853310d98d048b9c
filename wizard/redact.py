"""Keeping secrets out of logs.

Two layers: parameters whose name says they are secret are replaced before they are
formatted (``safe_params``), and every log record passes a filter that replaces any
secret the app has seen this run (``register_secret``), in each form it could take
(as typed, lower case, grouped in fours, hex and base64 of the key bytes, base64 of
the text). Registered values live only in this process's memory.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from typing import Any

from wizard.logs import logger

MASK = "[REDACTED]"
_SECRET_KEYS = re.compile(r"(secret|password|seed|code|token|qrcodepng|privatekey)", re.I)
# AWS secret access keys: a run of exactly 40 base64 characters mixing cases and digits.
_SECRET_KEY_SHAPE = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])")


def _mask_key_shape(m: re.Match[str]) -> str:
    s = m.group(0)
    mixed = any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s)
    return MASK if mixed else s

_lock = threading.Lock()
_secrets: set[str] = set()


def secret_forms(value: str) -> set[str]:
    """Every encoding of ``value`` that must never appear in a file or log."""
    forms = {value, value.lower(), value.upper()}
    compact = re.sub(r"[\s-]", "", value)
    forms |= {compact, compact.lower()}
    forms.add(" ".join(compact[i:i + 4] for i in range(0, len(compact), 4)))
    raw = value.encode()
    forms |= {raw.hex(), base64.b64encode(raw).decode(), base64.b32encode(raw).decode().rstrip("=")}
    try:  # base32 seed: also the key bytes it encodes
        padded = compact.upper() + "=" * (-len(compact) % 8)
        key = base64.b32decode(padded)
        forms |= {key.hex(), key.hex().upper(), base64.b64encode(key).decode(),
                  base64.urlsafe_b64encode(key).decode()}
    except (binascii.Error, ValueError):
        pass
    return {f for f in forms if len(f) >= 4}


def register_secret(value: str | None) -> None:
    if not value:
        return
    with _lock:
        _secrets.update(secret_forms(value))


def forget_secrets() -> None:
    with _lock:
        _secrets.clear()


def redact(text: str) -> str:
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for s in known:
        if s in text:
            text = text.replace(s, MASK)
    return _SECRET_KEY_SHAPE.sub(_mask_key_shape, text)


def safe_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (MASK if _SECRET_KEYS.search(k) else v) for k, v in params.items()}


class RedactingFilter(logging.Filter):
    """Secrets out, control characters visible: a message is one line (an AWS message or
    a path cannot forge log lines or send escape sequences to whoever reads the log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from wizard.text import plain, visible

        record.msg = visible(redact(record.getMessage()))
        record.args = None
        if record.exc_info:
            import traceback

            record.exc_text = plain(redact("".join(traceback.format_exception(*record.exc_info))))
            record.exc_info = None
        return True


def setup_log_file(path: str) -> None:
    """Send the app's debug log to ``path`` (created 0600, appended, a regular file only;
    see wizard.files.open_log), through the filter."""
    from wizard.files import open_log

    handler = logging.StreamHandler(open_log(path))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logger("rootwizard")
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)


def log_unexpected(exc: BaseException) -> str:
    """The last resort for an error nobody expected: the traceback goes to the log
    (--log-file) and nowhere else; returns the one line to show instead."""
    root = logger("rootwizard")
    root.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    logged = any(not isinstance(h, logging.NullHandler) for h in root.handlers)
    where = "details are in the --log-file" if logged else "run it again with --log-file FILE for details"
    return f"unexpected error ({type(exc).__name__}); nothing more was done; {where}."
