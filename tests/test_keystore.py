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


def trusted(backend: KeyringBackend | None = None, cls: type = MemoryKeyring) -> SeedBackup:
    """A SeedBackup that accepts the test's in-memory keyring as if it were a keychain."""
    return SeedBackup(backend, accept=[type(backend) if backend is not None else cls])


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_saves_under_service_and_account_device(memory: MemoryKeyring) -> None:
    backup = trusted()
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
    result = trusted(RaisingKeyring(exc)).save("123456789012", "admin-mfa", SEED)
    assert not result.saved
    assert result.message.startswith("not saved: ")
    assert type(exc).__name__ in result.message
    assert SEED not in result.message and SEED[:8] not in result.message


def test_dbus_reason_is_kept() -> None:
    exc = RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")
    result = trusted(RaisingKeyring(exc)).save("123456789012", "admin-mfa", SEED)
    assert "ServiceUnknown" in result.message


def test_unconfirmed_write_is_not_saved() -> None:
    result = trusted(ForgetfulKeyring()).save("123456789012", "admin-mfa", SEED)
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
        trusted(backend).save(account, device, seed)
    assert info.value.field == field
    assert backend.store == {}


# -- only platform keychains: never a file, never a terminal prompt ------------------------------

def _files_holding_the_seed(root) -> list:
    import base64

    forms = [SEED.encode(), base64.b64encode(SEED.encode())]
    return [p for p in root.rglob("*") if p.is_file() and any(f in p.read_bytes() for f in forms)]


@pytest.fixture
def chain(monkeypatch):
    """keyring's own chained backend over the given backends (keyring builds it from every
    installed backend; with keyrings.alt installed that is what keyring.get_keyring() returns)."""
    import keyring.backend

    def make(*backends: KeyringBackend) -> chainer.ChainerBackend:
        monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: list(backends))
        return chainer.ChainerBackend()

    return make


class LockedKeychain(RaisingKeyring):
    """Stands in for a platform keychain that is locked (accepted by class name below)."""


def _alt(*, encrypted: bool = False):
    if encrypted:  # EncryptedKeyring needs pycryptodome to exist at all
        pytest.importorskip("Cryptodome" if _has("Cryptodome") else "Crypto", reason="pycryptodome is not installed")
    return pytest.importorskip("keyrings.alt.file", reason="keyrings.alt is not installed")


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _no_prompt(monkeypatch) -> None:
    import getpass

    def prompt(*a, **k):
        raise AssertionError("a password prompt reached the terminal")

    monkeypatch.setattr(getpass, "getpass", prompt)


@pytest.mark.parametrize("which", ["plaintext", "encrypted", "chain of both", "configured (default)"])
def test_keyrings_alt_file_backends_are_refused(which, tmp_path, monkeypatch, chain) -> None:
    alt = _alt(encrypted=which != "plaintext")
    _no_prompt(monkeypatch)
    plain, encrypted = alt.PlaintextKeyring(), alt.EncryptedKeyring()
    assert str(tmp_path) in plain.file_path  # XDG_DATA_HOME points into tmp_path (conftest)
    both = chain(encrypted, plain)
    assert [type(b).__name__ for b in both.backends] == ["EncryptedKeyring", "PlaintextKeyring"]
    backend = {"plaintext": plain, "encrypted": encrypted, "chain of both": both, "configured (default)": None}[which]
    previous = keyring.get_keyring()
    keyring.set_keyring(both)  # what keyring configures itself with keyrings.alt installed
    try:
        backup = SeedBackup(backend)
        ok, reason = backup.available()
        assert not ok and "file" in reason and "not used" in reason
        result = backup.save("123456789012", "admin-mfa", SEED)
    finally:
        keyring.set_keyring(previous)
    assert not result.saved and result.message == f"not saved: {reason}"
    assert _files_holding_the_seed(tmp_path) == []
    assert not [p for p in tmp_path.rglob("*.cfg")]


def test_a_keychain_that_declines_never_falls_through_to_a_file(tmp_path, monkeypatch, chain) -> None:
    """keyring's chain hands the secret to the next backend when one declines: rootwizard
    uses the keychain itself, so a keychain that declines or is locked means "not
    saved", never a file."""
    alt = _alt()
    _no_prompt(monkeypatch)
    for exc in (NotImplementedError(), KeyringLocked("the collection is locked")):
        keychain = LockedKeychain(exc)
        backup = SeedBackup(chain(keychain, alt.PlaintextKeyring()), accept=[LockedKeychain])
        assert backup.available() == (True, keychain.name)
        result = backup.save("123456789012", "admin-mfa", SEED)
        assert not result.saved and type(exc).__name__ in result.message
        assert _files_holding_the_seed(tmp_path) == []


def test_the_keychain_in_a_chain_is_used_directly(memory: MemoryKeyring, tmp_path, chain) -> None:
    alt = _alt()
    result = SeedBackup(chain(alt.PlaintextKeyring(), memory), accept=[MemoryKeyring]).save(
        "123456789012", "d", SEED)
    assert result.saved and memory.store == {(SERVICE, "123456789012/d"): SEED}
    assert _files_holding_the_seed(tmp_path) == []


@pytest.mark.parametrize("make", [
    lambda chain: __import__("keyring.backends.null", fromlist=["Keyring"]).Keyring(),
    lambda chain: fail.Keyring(),
    lambda chain: chain(),
    lambda chain: chain(fail.Keyring()),
    lambda chain: MemoryKeyring(),  # a third-party backend: not a platform keychain
])
def test_null_fail_and_unknown_backends_are_refused(make, chain) -> None:
    backend = make(chain)
    ok, reason = SeedBackup(backend).available()
    assert not ok and "not stored anywhere" in reason
    assert not SeedBackup(backend).save("123456789012", "d", SEED).saved
    if isinstance(backend, MemoryKeyring):
        assert backend.store == {} and "not a platform keychain" in reason


def test_platform_keychains_are_accepted_by_exact_class() -> None:
    from keyring.backends import SecretService, kwallet, libsecret

    from wizard.keystore import PLATFORM_KEYCHAINS, class_id

    for cls in (SecretService.Keyring, libsecret.Keyring, kwallet.DBusKeyring, kwallet.DBusKeyringKWallet4):
        assert class_id(cls) in PLATFORM_KEYCHAINS
        assert SeedBackup(cls()).available()[0]

    class Sub(SecretService.Keyring):  # a subclass may store anywhere
        pass

    assert not SeedBackup(Sub()).available()[0]

