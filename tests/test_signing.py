"""SSH signatures of records through ssh-keygen -Y (keys made in tmp, no passphrase)."""

import shutil
import subprocess

import pytest

from wizard import signing
from wizard.errors import WizardError

needs_ssh_keygen = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen not installed")


def make_key(folder, name="id", principal="ops@example.com"):
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", principal, "-f", str(key)], check=True)
    return key


def allowed_signers(folder, key, principal="ops@example.com", name="allowed_signers"):
    path = folder / name
    path.write_text(f'{principal} namespaces="{signing.NAMESPACE}" {(key.parent / (key.name + ".pub")).read_text()}')
    return path


@needs_ssh_keygen
def test_sign_and_verify(tmp_path):
    key, other = make_key(tmp_path), make_key(tmp_path, "other", "eve@example.com")
    sig = tmp_path / "r.sig"
    sig.write_text(signing.sign(b'{"a":1}', key))
    good = signing.verify(b'{"a":1}', sig, allowed_signers(tmp_path, key))
    assert good.ok and good.principal == "ops@example.com"
    assert not signing.verify(b'{"a":2}', sig, allowed_signers(tmp_path, key)).ok
    wrong = signing.verify(b'{"a":1}', sig, allowed_signers(tmp_path, other, "eve@example.com", "eve"))
    assert not wrong.ok and wrong.principal is None and "not in the allowed-signers" in wrong.message


@needs_ssh_keygen
def test_an_unusable_key_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("not a key\n")
    bad.chmod(0o600)
    with pytest.raises(WizardError, match=r"Cannot sign with .*bad: ssh-keygen says"):
        signing.sign(b"x", bad)
    with pytest.raises(WizardError, match="not a file"):
        signing.sign(b"x", tmp_path / "absent")


def test_without_ssh_keygen_signing_is_refused_plainly(tmp_path, monkeypatch):
    monkeypatch.setattr(signing.shutil, "which", lambda _name: None)
    with pytest.raises(WizardError, match="ssh-keygen was not found"):
        signing.sign(b"x", tmp_path / "k")
