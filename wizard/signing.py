"""SSH signatures of completion records, through OpenSSH's ``ssh-keygen -Y`` (the mechanism
git uses for signed commits): no crypto of our own and no Python dependency.

What is signed is the record's canonical body (the exact bytes whose SHA-256 is
``body_sha256``), in the namespace ``rootwizard-record``; so the JSON and the Markdown
export of the same session state share one signature. Any failure is a WizardError with
one clear line: a record is never written unsigned when a signature was asked for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from wizard.errors import InputError, WizardError

NAMESPACE = "rootwizard-record"
SIG_SUFFIX = ".sig"
_TIMEOUT_S = 300  # ssh-keygen may ask for the key's passphrase on the terminal


def _ssh_keygen() -> str:
    exe = shutil.which("ssh-keygen")
    if exe is None:
        raise WizardError("ssh-keygen was not found, so the record cannot be signed or its signature checked.",
                          hint="Install OpenSSH's client tools (e.g. apt-get install openssh-client).")
    return exe


def _last_line(text: bytes) -> str:
    lines = [ln.strip() for ln in text.decode("utf-8", "replace").splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("Signing data on standard input")]
    return lines[-1] if lines else "no message"


def _run(args: list[str], data: bytes) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(args, input=data, capture_output=True, timeout=_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise WizardError("ssh-keygen did not finish in time.") from None
    except OSError as exc:
        raise WizardError(f"ssh-keygen could not be run: {exc.strerror or exc}.") from None


def sign(data: bytes, key: str | os.PathLike[str]) -> str:
    """The armored SSH signature of ``data`` with ``key`` (a private key file, or a public
    key whose private half is in ssh-agent). Raises WizardError when it cannot sign."""
    exe = _ssh_keygen()
    path = Path(key).expanduser()
    if not path.is_file():
        raise InputError(f"Cannot sign: the key {key} is not a file.", field="sign")
    proc = _run([exe, "-Y", "sign", "-n", NAMESPACE, "-f", str(path)], data)
    out = proc.stdout.decode("ascii", "replace")
    if proc.returncode != 0 or "BEGIN SSH SIGNATURE" not in out:
        raise WizardError(f"Cannot sign with {key}: ssh-keygen says: {_last_line(proc.stderr)}.",
                          hint="Use an SSH private key you can unlock (ssh-keygen -t ed25519 makes one).")
    return out


@dataclass(frozen=True)
class SignatureCheck:
    ok: bool
    principal: str | None   # who signed, per the allowed-signers file
    message: str

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "principal": self.principal, "message": self.message}


def verify(data: bytes, signature: Path, allowed_signers: Path) -> SignatureCheck:
    """Check ``signature`` over ``data`` against an allowed-signers file (ssh-keygen's
    format, as for git). The signer's identity is the file's principal for the key."""
    exe = _ssh_keygen()
    for what, p in (("signature", signature), ("allowed-signers file", allowed_signers)):
        if not p.is_file():
            raise InputError(f"The {what} {p} is not a readable file.", field=what)
    found = _run([exe, "-Y", "find-principals", "-s", str(signature), "-f", str(allowed_signers)], b"")
    principals = [ln.strip() for ln in found.stdout.decode("utf-8", "replace").splitlines() if ln.strip()]
    if found.returncode != 0 or not principals:
        return SignatureCheck(False, None, "the signing key is not in the allowed-signers file")
    for principal in principals:
        proc = _run([exe, "-Y", "verify", "-f", str(allowed_signers), "-I", principal, "-n", NAMESPACE,
                     "-s", str(signature)], data)
        if proc.returncode == 0:
            return SignatureCheck(True, principal, f"good signature by {principal}")
    return SignatureCheck(False, None, f"bad signature: {_last_line(proc.stderr or proc.stdout)}")
