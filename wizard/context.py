"""What a running wizard knows: the AWS access, the account's checklist and its store,
the sandbox (if any) and the latest credential report analysis. No Textual here: the
screens hold one of these and call into it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.aws import AwsAccess, Identity
from wizard.checklist import Checklist, Status
from wizard.errors import SessionError
from wizard.session import SessionStore

log = logging.getLogger("rootwizard.session")


@dataclass
class OpenResult:
    """What opening the account's session found, for the screen to act on."""

    checklist: Checklist | None = None   # a saved session that can be resumed
    locked: bool = False                 # another running wizard holds it
    problem: str = ""                    # the saved file is unreadable (moved aside on request)


@dataclass
class WizardContext:
    aws: AwsAccess
    state_dir: Path
    sandbox: Any = None
    demo: bool = False            # run on the sandbox account (started by connect())
    identity: Identity | None = None
    checklist: Checklist | None = None
    store: SessionStore | None = None
    report: Any = None            # parsed CredentialReport of this run
    analysis: dict[str, Any] | None = None
    cache: dict[str, Any] = field(default_factory=dict)  # per-step reads, dropped on re-verify

    def __post_init__(self) -> None:
        if self.sandbox is not None:
            self.demo = True

    # -- opening -----------------------------------------------------------------------------
    def connect(self) -> Identity:
        """Blocking (run it in a worker): start the sandbox when asked to, then ask AWS who
        is calling. Nothing heavy (boto3, moto) is imported before this runs."""
        if self.demo and self.sandbox is None:
            from wizard.sandbox import start_sandbox

            self.sandbox = start_sandbox()
            self.aws.settings = self.sandbox.connection_settings(max_attempts=self.aws.settings.max_attempts)
        return self.aws.identity()

    def open_session(self, identity: Identity) -> OpenResult:
        self.identity = identity
        if self.store is not None:  # a retry: our own earlier lock must not block us
            self.store.unlock()
        self.store = SessionStore(self.state_dir, identity.account_id)
        if not self.store.lock():
            return OpenResult(locked=True)
        if not self.store.exists():
            return OpenResult()
        try:
            return OpenResult(checklist=self.store.load())
        except (SessionError, OSError) as exc:
            return OpenResult(problem=str(exc))

    def open_read_only(self) -> Checklist | None:
        assert self.store is not None
        self.store.read_only = True
        self.checklist = self.store.load() if self.store.exists() else self.new_checklist(save=False)
        return self.checklist

    def move_aside(self, label: str) -> Path:
        assert self.store is not None
        return self.store.move_aside(label)

    def new_checklist(self, *, save: bool = True) -> Checklist:
        assert self.identity is not None
        self.checklist = Checklist(account_id=self.identity.account_id, caller_arn=self.identity.arn,
                                   sandbox=self.sandbox is not None)
        if save:
            self.save()
        return self.checklist

    def resume(self, checklist: Checklist) -> Checklist:
        """Continue a saved session. The caller now at the keyboard is recorded."""
        assert self.identity is not None
        checklist.caller_arn = self.identity.arn
        self.checklist = checklist
        return checklist

    def steps_to_reverify(self) -> list[str]:
        """Steps whose evidence came from AWS: a resumed session re-reads them."""
        assert self.checklist is not None
        return [sid for sid, rec in self.checklist.steps.items()
                if rec.evidence_source == "aws" and rec.status in (Status.DONE, Status.WAITING)
                and sid != "connect"]

    # -- changes -----------------------------------------------------------------------------
    def save(self) -> None:
        assert self.store is not None and self.checklist is not None
        if self.store.read_only:
            return
        self.store.save(self.checklist)

    def record(self, step_id: str, status: Status, **kwargs: Any) -> None:
        """Change a step and save the session at once (raises on a failed save; the
        in-memory change is rolled back so screen and file never disagree)."""
        assert self.checklist is not None and self.store is not None
        if self.store.read_only:
            raise SessionError("This session is open read-only: another wizard holds it.",
                               hint="Close the other wizard to make changes.")
        before = self.checklist.to_json()
        self.checklist.set_status(step_id, status, by=self.identity.arn if self.identity else None, **kwargs)
        try:
            self.save()
        except Exception:
            restored = Checklist.from_json(before)
            self.checklist.steps = restored.steps
            self.checklist.updated_at = restored.updated_at
            raise
        log.info("step %s -> %s", step_id, status.value)

    def close(self) -> None:
        if self.store is not None:
            self.store.unlock()
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
