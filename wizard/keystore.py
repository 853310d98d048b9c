"""Opt-in backup of an MFA seed into the operator's OS keyring.

One small boundary around ``keyring``: every failure (no backend on a headless box,
a locked or refused keyring, D-Bus errors) becomes a plain "not saved" result, and the
wizard carries on. The seed appears in no message.

Only a platform keychain is ever used (PLATFORM_KEYCHAINS: Secret Service, through
D-Bus or libsecret; macOS Keychain; Windows Credential Locker; KWallet), matched by
exact class. Anything else is refused, whatever the keyring configuration says: the
keyrings.alt file backends (PlaintextKeyring keeps the seed in base64 in a file,
EncryptedKeyring prompts for a password on the terminal, under the TUI), the null and
fail backends, and third-party backends. When keyring's chained backend is in use, the
platform keychain in the chain is used directly: the chain hands a secret to the next
backend when one declines, and the next one may be a file.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer

from wizard.errors import InputError
from wizard.totp import validate_base32_secret

SERVICE = "rootwizard"
_NO_BACKEND = (
    "no usable keyring on this system (on a server without a desktop session this is "
    "normal); the secret key was not stored anywhere"
)
# The platform keychains, by module and class name (exact classes: a subclass may store
# elsewhere). Compared by name so that no platform module has to be importable here.
PLATFORM_KEYCHAINS = frozenset({
    "keyring.backends.SecretService.Keyring",
    "keyring.backends.libsecret.Keyring",
    "keyring.backends.macOS.Keyring",
    "keyring.backends.Windows.WinVaultKeyring",
    "keyring.backends.kwallet.DBusKeyring",
    "keyring.backends.kwallet.DBusKeyringKWallet4",
})


def class_id(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass(frozen=True)
class SaveResult:
    saved: bool
    message: str


def username(account_id: str, device_name: str) -> str:
    """The keyring username of a seed: "<account>/<device>"."""
    return f"{account_id}/{device_name}"


class SeedBackup:
    """Saves seeds under service "rootwizard". ``backend`` defaults to keyring's
    configured backend, looked up at each call. ``accept`` names the backend classes
    that may hold a seed (default: the platform keychains)."""

    def __init__(self, backend: KeyringBackend | None = None, *,
                 accept: Iterable[str | type] = PLATFORM_KEYCHAINS) -> None:
        self._backend = backend
        self._accept = frozenset(a if isinstance(a, str) else class_id(a) for a in accept)

    def _choose(self) -> tuple[KeyringBackend | None, str]:
        """(the keychain to use, its name) or (None, why there is none)."""
        try:
            backend = self._backend or keyring.get_keyring()
        except Exception as exc:  # noqa: BLE001 - any failure means "no keyring"
            return None, f"the keyring could not be opened ({type(exc).__name__})"
        if isinstance(backend, chainer.ChainerBackend):
            try:
                candidates = list(backend.backends)
            except Exception as exc:  # noqa: BLE001 - a backend that fails to load
                return None, f"the keyring could not be opened ({type(exc).__name__})"
        else:
            candidates = [backend]
        for candidate in candidates:
            if class_id(type(candidate)) in self._accept:
                return candidate, getattr(candidate, "name", type(candidate).__name__)
        refused = sorted({type(c).__name__ for c in candidates
                          if type(c).__module__ not in ("keyring.backends.null", "keyring.backends.fail")})
        if not refused:
            return None, _NO_BACKEND
        if any(type(c).__module__.startswith("keyrings.alt") for c in candidates):
            return None, ("the only keyring available keeps secrets in a file or asks for a password on "
                          f"the terminal ({', '.join(refused)}); not used, the secret key was not stored anywhere")
        return None, (f"the keyring in use ({', '.join(refused)}) is not a platform keychain; "
                      "not used, the secret key was not stored anywhere")

    def available(self) -> tuple[bool, str]:
        """(True, keychain name) when a platform keychain is usable, else (False, reason)."""
        backend, text = self._choose()
        return backend is not None, text

    def save(self, account_id: str, device_name: str, seed: str) -> SaveResult:
        """Store the seed and read it back; report the outcome without raising for
        keyring failures. Raises InputError for a missing account/device or a bad seed."""
        if not account_id.strip() or not device_name.strip():
            raise InputError(
                "the account and the device name are needed to label the backup",
                field="account_id" if not account_id.strip() else "device_name",
            )
        secret = validate_base32_secret(seed)
        backend, name = self._choose()
        if backend is None:
            return SaveResult(False, f"not saved: {name}")
        user = username(account_id, device_name)
        try:
            backend.set_password(SERVICE, user, secret)
            stored = backend.get_password(SERVICE, user)
        except Exception as exc:  # noqa: BLE001 - the boundary: report, never crash
            return SaveResult(False, f"not saved: {_reason(exc, secret)}")
        if stored is None or not hmac.compare_digest(stored.encode(), secret.encode()):
            return SaveResult(False, "not saved: the keyring did not keep the secret key")
        return SaveResult(True, f'saved in {name} as "{SERVICE}" / "{user}"')


def _reason(exc: Exception, secret: str) -> str:
    """A plain one-line reason; the exception text only when it cannot hold the seed."""
    text = " ".join(str(exc).split())[:200]
    if not text or secret.upper() in text.upper() or secret[:8].upper() in text.upper():
        return f"the keyring refused it ({type(exc).__name__})"
    return f"the keyring refused it ({type(exc).__name__}: {text})"
