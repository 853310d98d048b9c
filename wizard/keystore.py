"""Opt-in backup of an MFA seed into the operator's OS keyring.

One small boundary around ``keyring``: every failure (no backend on a headless box,
a locked or refused keyring, D-Bus errors) becomes a plain "not saved" result, and the
wizard carries on. There is never a fallback to a file, and the seed appears in no
message.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail

from wizard.errors import InputError
from wizard.totp import validate_base32_secret

SERVICE = "rootwizard"
_NO_BACKEND = (
    "no usable keyring on this system (on a server without a desktop session this is "
    "normal); the secret key was not stored anywhere"
)


@dataclass(frozen=True)
class SaveResult:
    saved: bool
    message: str


def username(account_id: str, device_name: str) -> str:
    """The keyring username of a seed: "<account>/<device>"."""
    return f"{account_id}/{device_name}"


class SeedBackup:
    """Saves seeds under service "rootwizard". ``backend`` defaults to keyring's
    configured backend, looked up at each call."""

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._backend = backend

    def available(self) -> tuple[bool, str]:
        """(True, backend name) when a real keyring is usable, else (False, reason)."""
        try:
            backend = self._backend or keyring.get_keyring()
        except Exception as exc:  # noqa: BLE001 - any failure means "no keyring"
            return False, f"the keyring could not be opened ({type(exc).__name__})"
        if isinstance(backend, fail.Keyring):
            return False, _NO_BACKEND
        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return False, _NO_BACKEND
        if type(backend).__module__.startswith("keyrings.alt"):
            return False, "the only keyring available keeps secrets in a file; not used"
        return True, getattr(backend, "name", type(backend).__name__)

    def save(self, account_id: str, device_name: str, seed: str) -> SaveResult:
        """Store the seed and read it back; report the outcome without raising for
        keyring failures. Raises InputError for a missing account/device or a bad seed."""
        if not account_id.strip() or not device_name.strip():
            raise InputError(
                "the account and the device name are needed to label the backup",
                field="account_id" if not account_id.strip() else "device_name",
            )
        secret = validate_base32_secret(seed)
        ok, reason = self.available()
        if not ok:
            return SaveResult(False, f"not saved: {reason}")
        backend = self._backend or keyring.get_keyring()
        user = username(account_id, device_name)
        try:
            backend.set_password(SERVICE, user, secret)
            stored = backend.get_password(SERVICE, user)
        except Exception as exc:  # noqa: BLE001 - the boundary: report, never crash
            return SaveResult(False, f"not saved: {_reason(exc, secret)}")
        if stored is None or not hmac.compare_digest(stored.encode(), secret.encode()):
            return SaveResult(False, "not saved: the keyring did not keep the secret key")
        return SaveResult(True, f'saved in {reason} as "{SERVICE}" / "{user}"')


def _reason(exc: Exception, secret: str) -> str:
    """A plain one-line reason; the exception text only when it cannot hold the seed."""
    text = " ".join(str(exc).split())[:200]
    if not text or secret.upper() in text.upper() or secret[:8].upper() in text.upper():
        return f"the keyring refused it ({type(exc).__name__})"
    return f"the keyring refused it ({type(exc).__name__}: {text})"
