"""Exporting the completion record and checking it, for the summary screen and the CLI.

The export closes the summary step (done) through the session's one door, with the
export's hash as evidence. The summary step's own evidence is left out of the hashed body,
so exporting the same session state again (JSON then Markdown) gives the same hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from wizard import after_state
from wizard.checklist import Checklist, Status, iso, utcnow
from wizard.errors import InputError, SessionError, WizardError
from wizard.record import build_record, canonical, render, write_export
from wizard.signing import SIG_SUFFIX

EXPORT_SOURCE = "rootwizard"


@dataclass(frozen=True)
class Export:
    path: Path | None          # None: written to standard output by the caller
    fmt: str
    body_sha256: str
    exported_at: str
    signature: Path | None
    text: str

    def evidence(self) -> dict[str, Any]:
        return {"body_sha256": self.body_sha256, "exported_at": self.exported_at, "format": self.fmt,
                "file": str(self.path) if self.path else None,
                "signature": str(self.signature) if self.signature else None}


def residual_risk(checklist: Checklist) -> list[dict[str, Any]] | None:
    """Findings still open in the session's after-state (None when it was not read)."""
    if checklist.after_state is None:
        return None
    from wizard.residual import open_findings

    return open_findings(after_state.AfterState.from_json(checklist.after_state), checklist)


def read_after_state(ctx: Any, now: Callable[[], datetime] = utcnow) -> after_state.AfterState:
    """Blocking (run it in a worker): read the account's state now and keep it in the
    session (saved at once)."""
    cl: Checklist = ctx.checklist
    state = after_state.read(ctx.aws, cl.account_id, checklist=cl, now=now)
    try:
        ctx.set_after_state(state.to_json())
    except OSError as exc:  # the session is as it was; say why
        raise SessionError(f"The after-state was read but not saved: {exc.strerror or exc}.",
                           hint="Free space or fix the state folder, then read it again.") from None
    return state


def export(ctx: Any, fmt: str, path: Path | None, *, force: bool = False, sign_key: str | None = None,
           now: str | None = None) -> Export:
    """Build the record of the session's current state, sign it when asked (a failure
    writes nothing), write it (and its ``.sig``), then close the summary step with the
    export's hash. Writing to standard output (``path`` None) is the caller's job."""
    cl: Checklist = ctx.checklist
    record = build_record(cl, now=now or iso(utcnow()), residual=residual_risk(cl))
    text = render(record, fmt)
    sig_path = write_record(record, text, path, force=force, sign_key=sign_key)
    result = Export(path, fmt, record["body_sha256"], record["exported_at"], sig_path, text)
    if not getattr(ctx.store, "read_only", True):
        ctx.change("summary", Status.DONE, evidence=result.evidence(), source=EXPORT_SOURCE,
                   note=f"Record exported ({fmt}).")
    return result


def write_record(record: dict[str, Any], text: str, path: Path | None, *, force: bool = False,
                 sign_key: str | None = None) -> Path | None:
    """Sign the record's body when asked (a failure writes nothing), then write ``text`` to
    ``path`` and the signature beside it (``FILE.sig``). Returns the signature's path."""
    sig_text = sig_path = None
    if sign_key:
        if path is None:
            raise InputError("A signed record needs a file: give -o FILE (the signature goes to FILE.sig).",
                             field="sign")
        from wizard import signing

        sig_text = signing.sign(canonical(record["body"]), sign_key)
        sig_path = path.with_name(path.name + SIG_SUFFIX)
        if not force and (path.exists() or path.is_symlink()):
            raise WizardError(f"{path} already exists.", hint="Use --force to overwrite it.")
        write_export(sig_text, sig_path, force=force)
    if path is not None:
        try:
            write_export(text, path, force=force)
        except WizardError:
            if sig_path is not None:  # no signature without its record
                sig_path.unlink(missing_ok=True)
            raise
    return sig_path


def last_export(checklist: Checklist) -> dict[str, Any] | None:
    """The evidence of the session's last export (the summary step's), or None."""
    rec = checklist.step("summary")
    if rec.status == Status.DONE and rec.evidence.get("body_sha256"):
        return dict(rec.evidence)
    return None


def check_last_export(ctx: Any, allowed_signers: Path | None = None):  # noqa: ANN201
    """Blocking: ``rootwizard verify`` on the session's last exported file."""
    from wizard.record import read_record
    from wizard.record_verify import check_integrity, verify

    last = last_export(ctx.checklist)
    if not last or not last.get("file"):
        raise SessionError("No record of this session was exported to a file yet.")
    path = Path(last["file"])
    record = read_record(path)
    integrity = check_integrity(record, path, allowed_signers)
    identity = ctx.aws.identity()
    if identity.account_id != record["body"]["account_id"]:
        raise InputError(f"The record is for account {record['body']['account_id']}, but the credentials are "
                         f"for account {identity.account_id}.", field="record")
    now = after_state.read(ctx.aws, identity.account_id)
    from wizard.residual import open_findings

    return verify(record, path, now, identity.arn, integrity, open_now=open_findings)
