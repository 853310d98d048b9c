from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyring.errors import KeyringLocked, PasswordSetError

from wizard.errors import InputError
from wizard.keystore import SERVICE, SaveResult, SeedBackup

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.store[(service, username)]


class RaisingKeyring(MemoryKeyring):
    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.exc = exc

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.exc


class ForgetfulKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        pass


class EmptyChainer(chainer.ChainerBackend):
    backends: list = []  # type: ignore[assignment]


class PlaintextKeyring(MemoryKeyring):
    __module__ = "keyrings.alt.file"


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_saves_under_service_and_account_device(memory: MemoryKeyring) -> None:
    backup = SeedBackup()
    assert backup.available()[0]
    result = backup.save("123456789012", "admin-mfa", SEED.lower())
    assert result.saved
    assert memory.store == {(SERVICE, "123456789012/admin-mfa"): SEED}
    assert SEED not in result.message and "123456789012/admin-mfa" in result.message


def test_no_keyring_backend_is_reported_plainly(no_keyring: None, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    ok, reason = SeedBackup().available()
    assert not ok and "no usable keyring" in reason
    result = SeedBackup().save("123456789012", "admin-mfa", SEED)
    assert result == SaveResult(False, f"not saved: {reason}")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no plaintext fallback file


@pytest.mark.parametrize("backend", [EmptyChainer(), PlaintextKeyring()])
def test_unusable_backends(backend: KeyringBackend) -> None:
    ok, reason = SeedBackup(backend).available()
    assert not ok and reason
    assert not SeedBackup(backend).save("123456789012", "d", SEED).saved


@pytest.mark.parametrize(
    "exc",
    [
        KeyringLocked("the collection is locked"),
        PasswordSetError(f"cannot store {SEED}"),
        RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown"),
    ],
)
def test_backend_failure_is_not_saved_and_never_leaks(exc: Exception) -> None:
    result = SeedBackup(RaisingKeyring(exc)).save("123456789012", "admin-mfa", SEED)
    assert not result.saved
    assert result.message.startswith("not saved: ")
    assert type(exc).__name__ in result.message
    assert SEED not in result.message and SEED[:8] not in result.message


def test_dbus_reason_is_kept() -> None:
    exc = RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")
    result = SeedBackup(RaisingKeyring(exc)).save("123456789012", "admin-mfa", SEED)
    assert "ServiceUnknown" in result.message


def test_unconfirmed_write_is_not_saved() -> None:
    result = SeedBackup(ForgetfulKeyring()).save("123456789012", "admin-mfa", SEED)
    assert result == SaveResult(False, "not saved: the keyring did not keep the secret key")


def test_opening_keyring_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> KeyringBackend:
        raise OSError("no D-Bus session")

    monkeypatch.setattr(keyring, "get_keyring", boom)
    ok, reason = SeedBackup().available()
    assert not ok and "OSError" in reason
    assert not SeedBackup().save("123456789012", "d", SEED).saved


@pytest.mark.parametrize(
    ("account", "device", "seed", "field"),
    [("", "d", SEED, "account_id"), ("123456789012", " ", SEED, "device_name"), ("1", "d", "bad!", "secret")],
)
def test_bad_input_raises_input_error(account: str, device: str, seed: str, field: str) -> None:
    backend = MemoryKeyring()
    with pytest.raises(InputError) as info:
        SeedBackup(backend).save(account, device, seed)
    assert info.value.field == field
    assert backend.store == {}
