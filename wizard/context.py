"""What a running wizard knows: the AWS access, the account's checklist and its store,
the sandbox (if any) and the latest credential report analysis. No Textual here: the
screens hold one of these and call into it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from wizard.aws import AwsAccess, Identity
from wizard.checklist import Checklist, Status, iso, utcnow, verdict
from wizard.errors import SessionError, WizardError
from wizard.heap import freeze_long_lived
from wizard.logs import logger
from wizard.session import SessionStore
from wizard.steps import STEPS, RootCredentials
from wizard.verify import Seen, read_root_credentials, reverify

if TYPE_CHECKING:
    from wizard.credreport import Analysis
    from wizard.organizations import OrgPosition
    from wizard.sandbox import Sandbox

log = logger("rootwizard.session")
T = TypeVar("T")


@dataclass
class OpenResult:
    """What opening the account's session found, for the screen to act on."""

    checklist: Checklist | None = None   # a saved session that can be resumed
    locked: bool = False                 # another running wizard holds it
    problem: str = ""                    # the saved file is unreadable (moved aside on request)


@dataclass(frozen=True)
class Connection:
    """What connect_checked() found: who is calling, the clock's offset from AWS's, and
    what AWS shows of the root user's credentials (None, with ``root_problem``, when that
    read failed: it never blocks connecting)."""

    identity: Identity
    clock_skew: float | None
    root_credentials: RootCredentials | None = None
    root_problem: str = ""
    org: OrgPosition | None = None  # standalone, management or member (None: the read failed)
    org_problem: str = ""


@dataclass(frozen=True)
class Reverified:
    """What re-verifying a resumed session changed: steps AWS no longer shows (set back to
    pending), and steps it would not show this caller (left as they were)."""

    lost: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


def _optional(read: Callable[..., T], *args: Any) -> tuple[T | None, str]:
    """(the read's answer, "") or (None, why it failed): for reads that must never block
    what calls them (an unexpected failure is logged with its traceback)."""
    try:
        return read(*args), ""
    except WizardError as err:
        return None, err.message
    except Exception as exc:  # e.g. an answer of an unexpected shape
        log.warning("%s failed", getattr(read, "__name__", "a read"), exc_info=True)
        return None, f"unexpected {type(exc).__name__} (see the log)"


def _snapshot(checklist: Checklist) -> Checklist:
    """A copy of ``checklist`` to roll a failed change back to: its step records are
    copied (a change sets them in place); the findings and the after-state are values a
    change replaces whole, never edits, so they are shared (a deep copy of the findings of
    5,000 users took 0.1 to 0.2 s on the UI thread at every step's change)."""
    before = copy.copy(checklist)
    before.steps = {sid: copy.deepcopy(rec) for sid, rec in checklist.steps.items()}
    return before


@dataclass
class WizardContext:
    aws: AwsAccess
    state_dir: Path
    sandbox: Sandbox | None = None
    demo: bool = False            # run on the sandbox account (started by connect())
    reset: bool = False           # with demo: a fresh sandbox, the saved one set aside
    identity: Identity | None = None
    checklist: Checklist | None = None
    store: SessionStore | None = None
    report: Any = None            # parsed CredentialReport of this run
    analysis: Analysis | None = None
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

            self.sandbox = start_sandbox(state_dir=self.state_dir, reset=self.reset)
            self.aws.settings = self.sandbox.connection_settings(max_attempts=self.aws.settings.max_attempts)
        return self.aws.identity()

    def connect_checked(self) -> Connection:
        """Blocking: connect(), measure the clock's skew against AWS (TOTP needs it), read
        the root user's credentials (the root steps are not applicable without any) and
        where the account stands in AWS Organizations. A failure of either read is kept as
        its message, never raised: it does not block connecting."""
        from wizard.organizations import describe_account_org  # not before the first frame

        identity = self.connect()
        skew = self.aws.clock_skew()
        creds, problem = _optional(read_root_credentials, self.aws)
        org, org_problem = _optional(describe_account_org, self.aws, identity.account_id)
        # boto3, botocore, moto and the sandbox are loaded now and stay: out of the garbage
        # collector's reach, its full passes no longer rescan them (0.1 to 0.3 s each).
        freeze_long_lived()
        return Connection(identity, skew, creds, problem, org, org_problem)

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
        self.aws.read_only = True  # no call that changes the account leaves this wizard
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

    def read_reverify(self) -> dict[str, Seen | None]:
        """Blocking (run it in a worker): re-read AWS for every step whose evidence came
        from AWS. None: AWS would not show that step to this caller."""
        assert self.checklist is not None
        return reverify(self.aws, [self.checklist.step(s) for s in self.steps_to_reverify()])

    def apply_reverify(self, results: dict[str, Seen | None]) -> Reverified:
        """Record what read_reverify() saw (wizard.checklist.verdict), one saved change per
        step; a failed save raises (the steps before it stay saved)."""
        assert self.checklist is not None
        lost, unknown = [], []
        for sid, seen in results.items():
            rec = self.checklist.step(sid)
            if seen is None:
                unknown.append(sid)
                continue
            status, error = verdict(rec.status, seen.ok)
            if status == Status.PENDING:
                lost.append(sid)
            if status is not None:
                self.change(sid, status, evidence=seen.evidence, source="aws", note=rec.note, error=error)
        return Reverified(tuple(lost), tuple(unknown))

    def apply_root_credentials(self, creds: RootCredentials | None) -> Reverified:
        """Record what AWS shows of the root user's credentials on every step that is not
        applicable without them (the registry's ``not_applicable_when``): such a step
        closes as NOT_APPLICABLE with the read as evidence; a step recorded so that AWS no
        longer shows so goes back to PENDING (``lost``). With no read (None), the steps
        recorded not applicable are ``unknown``. One saved change per changed step."""
        assert self.checklist is not None
        caller = replace(self.checklist.caller, root_credentials=creds)
        lost, unknown = [], []
        for step in STEPS:
            if step.not_applicable_when is None:
                continue
            current = self.checklist.step(step.id).status
            if creds is None:
                if current == Status.NOT_APPLICABLE:
                    unknown.append(step.id)
                continue
            na = step.not_applicable_when(caller)
            if na == (current == Status.NOT_APPLICABLE):
                continue
            status, error = verdict(current, False, not_applicable=na)
            if status == Status.PENDING:
                lost.append(step.id)
            if status is not None:
                self.change(step.id, status, evidence=creds.evidence(), source="aws", error=error)
        return Reverified(tuple(lost), tuple(unknown))

    # -- changes -----------------------------------------------------------------------------
    def save(self) -> None:
        assert self.store is not None and self.checklist is not None
        if self.store.read_only:
            return
        self.store.save(self.checklist)

    def change(self, step_id: str, status: Status, *, also: Callable[[Checklist], object] | None = None,
               **kwargs: Any) -> None:
        """The one door for a step's change: set it (and make ``also``'s change of the
        checklist, e.g. keep report findings) and save the session at once. On a failed
        save the whole checklist is put back as it was (screen and file never disagree)
        and the error is raised."""
        def apply(cl: Checklist) -> None:
            if also is not None:
                also(cl)
            cl.set_status(step_id, status, by=self.identity.arn if self.identity else None, **kwargs)

        self._saved_change(apply)
        log.info("step %s -> %s", step_id, status.value)

    def finish(self) -> bool:
        """The summary: when every step is closed, stamp the session finished (once) and
        save it. True when it was stamped now; raises (and undoes the stamp) on a failed save."""
        assert self.checklist is not None and self.store is not None
        done, total = self.checklist.progress()
        if self.store.read_only or self.checklist.finished_at is not None or done != total:
            return False
        self._saved_change(lambda cl: setattr(cl, "finished_at", iso(utcnow())))
        return True

    def set_after_state(self, state: dict[str, Any]) -> None:
        """Keep the after-state read at the summary (wizard.after_state), saved at once;
        a failed save puts the checklist back and raises."""
        self._saved_change(lambda cl: setattr(cl, "after_state", state))

    def _saved_change(self, apply: Callable[[Checklist], object]) -> None:
        assert self.checklist is not None and self.store is not None
        if self.store.read_only:
            raise SessionError("This session is open read-only: another wizard holds it.",
                               hint="Close the other wizard to make changes.")
        before = _snapshot(self.checklist)
        try:
            apply(self.checklist)
            self.save()
        except BaseException:
            self.checklist.__dict__.update(before.__dict__)
            raise

    def close(self) -> None:
        if self.store is not None:
            self.store.unlock()
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
