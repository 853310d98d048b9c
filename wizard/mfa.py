"""Virtual MFA for an IAM user, by API: the one flow behind the TUI step and
``rootwizard mfa enroll`` (wizard.mfa_cli).

1. Choose a user (console users without MFA first) or create the first administrator
   (user, an ``Admins`` group with AdministratorAccess, membership), one confirmed action
   at a time.
2. iam:CreateVirtualMFADevice; the QR code is drawn from an otpauth URI built from the
   seed (never from AWS's QRCodePNG).
3. Two consecutive codes are checked locally (TwoCodeCheck: moto, and a typo, would get
   through otherwise), then iam:EnableMFADevice with the same codes, then
   iam:ListMFADevices must show the serial. The evidence is the serial, never the seed.
4. Cancelled or failed after creation: the unassigned device is deleted, so no orphan is
   left; orphans from an earlier crash are found with ListVirtualMFADevices(Unassigned).

The seed lives in the Enrollment in memory only and is dropped on completion or cancel.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from wizard.aws import AwsAccess
from wizard.errors import AccessDeniedError, InputError, NotFoundError, WizardError
from wizard.keystore import SaveResult, SeedBackup
from wizard.logs import logger
from wizard.totp import (
    AcceptedPair,
    CodeRejected,
    TwoCodeCheck,
    aws_otpauth_uri,
    group4,
    normalize_code,
    validate_base32_secret,
)

log = logger("rootwizard.mfa")

ADMINS_GROUP = "Admins"
ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
DEFAULT_ADMIN_USER = "admin"
# IAM name rules: user names 1-64, virtual MFA device names 1-226 characters of [\w+=,.@-].
_IAM_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)
USER_NAME_MAX = 64
DEVICE_NAME_MAX = 226


def validate_name(text: str, *, field: str, max_len: int) -> str:
    """An IAM user or device name, stripped; raises InputError(field=field)."""
    name = text.strip()
    what = "user name" if field == "user" else "device name"
    if not name:
        raise InputError(f"Enter a {what}.", field=field)
    if len(name) > max_len:
        raise InputError(f"A {what} has at most {max_len} characters (this one has {len(name)}).",
                         field=field)
    if not _IAM_NAME.fullmatch(name):
        raise InputError(f"A {what} may only use letters, digits and + = , . @ _ -", field=field)
    return name


def validate_user_name(text: str) -> str:
    return validate_name(text, field="user", max_len=USER_NAME_MAX)


def validate_device_name(text: str, default: str = "") -> str:
    """The device name, or ``default`` (the user name) when left empty."""
    return validate_name(text.strip() or default, field="device_name", max_len=DEVICE_NAME_MAX)


# --- Choosing the user ------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An IAM user to enrol. ``console``/``has_mfa`` are None when the read that would
    tell was denied (``unknown`` names the IAM actions)."""

    name: str
    console: bool | None
    has_mfa: bool | None
    unknown: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        access = {True: "console password", False: "no console password", None: "console password unknown"}
        mfa = {True: "has MFA", False: "NO MFA", None: "MFA unknown"}
        return f"{self.name}  ({access[self.console]}, {mfa[self.has_mfa]})"


# Per-user reads a denial only degrades: the user is still listed, this fact is unknown.
_OPTIONAL_READS = {"iam:GetLoginProfile": "which users sign in with a password",
                   "iam:ListMFADevices": "which users already have MFA"}


def candidate_users(aws: AwsAccess) -> list[Candidate]:
    """IAM users, console users without MFA first, then others without MFA, then users
    that already have MFA (AWS allows up to eight devices per user). Read live
    (iam:ListUsers, then iam:GetLoginProfile and iam:ListMFADevices per user), never from
    a credential report: AWS may hand out one up to four hours old. A denied per-user read
    leaves that fact unknown (asked once, not for every user); only a denied iam:ListUsers
    fails."""
    names = [u["UserName"] for u in aws.list_users()]
    denied: set[str] = set()

    def read(action: str, fn: Callable[[str], Any], name: str) -> Any:
        if action in denied:
            return None
        try:
            return fn(name)
        except AccessDeniedError:
            denied.add(action)
            return None

    users = []
    for n in names:
        console = read("iam:GetLoginProfile", aws.has_login_profile, n)
        devices = read("iam:ListMFADevices", aws.list_mfa_devices, n)
        unknown = tuple(a for a, v in (("iam:GetLoginProfile", console), ("iam:ListMFADevices", devices))
                        if v is None)
        users.append(Candidate(n, console, None if devices is None else bool(devices), unknown))
    rank = {True: 0, None: 1, False: 2}
    return sorted(users, key=lambda c: (2 - rank[c.has_mfa], rank[c.console], c.name.lower()))


def missing_facts(users: list[Candidate]) -> str:
    """What the list cannot show and which permission would show it ("" when complete)."""
    actions = sorted({a for c in users for a in c.unknown})
    if not actions:
        return ""
    what = " and ".join(_OPTIONAL_READS.get(a, a) for a in actions)
    return (f"This caller may not call {', '.join(actions)}, so the list cannot show {what}. "
            f"Grant {' and '.join(actions)} to see it. You can still enrol any user.")


# --- The first administrator ---------------------------------------------------------------


@dataclass(frozen=True)
class AdminAction:
    """One change still needed to give ``user`` administrator access through a group."""

    kind: str  # "create_user" | "create_group" | "attach_policy" | "add_member"
    user: str
    group: str = ADMINS_GROUP

    @property
    def text(self) -> str:
        return {
            "create_user": f"Create the IAM user {self.user!r} (iam:CreateUser). It gets no password "
                           "and no access key: sign-in credentials are set separately.",
            "create_group": f"Create the IAM group {self.group!r} (iam:CreateGroup).",
            "attach_policy": f"Attach the AWS managed policy AdministratorAccess to the group "
                             f"{self.group!r} (iam:AttachGroupPolicy, {ADMIN_POLICY_ARN}).",
            "add_member": f"Add {self.user!r} to the group {self.group!r} (iam:AddUserToGroup).",
        }[self.kind]


def plan_admin_user(aws: AwsAccess, user_name: str) -> list[AdminAction]:
    """The actions still needed for ``user_name`` to be an administrator through the
    ``Admins`` group, in order; empty when everything is already in place."""
    user = validate_user_name(user_name)
    plan: list[AdminAction] = []
    try:
        aws.get_user(user)
        user_exists = True
    except NotFoundError:
        user_exists = False
        plan.append(AdminAction("create_user", user))
    group = aws.get_group(ADMINS_GROUP)
    if group is None:
        plan += [AdminAction("create_group", user), AdminAction("attach_policy", user)]
    else:
        attached = {p["PolicyArn"] for p in aws.list_attached_group_policies(ADMINS_GROUP)}
        if ADMIN_POLICY_ARN not in attached:
            plan.append(AdminAction("attach_policy", user))
    members = {u["UserName"] for u in (group or {}).get("Users", [])}
    if not user_exists or user not in members:
        plan.append(AdminAction("add_member", user))
    return plan


def execute_admin_action(aws: AwsAccess, action: AdminAction) -> None:
    if action.kind == "create_user":
        aws.create_user(action.user)
    elif action.kind == "create_group":
        aws.create_group(action.group)
    elif action.kind == "attach_policy":
        aws.attach_group_policy(action.group, ADMIN_POLICY_ARN)
    elif action.kind == "add_member":
        aws.add_user_to_group(action.group, action.user)
    else:
        raise ValueError(action.kind)


@dataclass
class AdminSetup:
    """Setting up the first administrator: the actions still to make, in order. Each one
    is shown and confirmed before it is made (``next``, then execute_admin_action, then
    ``made``); ``stop()`` drops the rest and says how many were not made."""

    user: str
    pending: list[AdminAction]

    @property
    def next(self) -> AdminAction | None:
        return self.pending[0] if self.pending else None

    def made(self, action: AdminAction) -> None:
        self.pending.remove(action)

    def stop(self) -> int:
        left, self.pending = len(self.pending), []
        return left


def plan_admin_setup(aws: AwsAccess, user_name: str) -> AdminSetup:
    """Blocking: what is still needed for ``user_name`` to be an administrator."""
    return AdminSetup(validate_user_name(user_name), plan_admin_user(aws, user_name))


# --- Enrolment ------------------------------------------------------------------------------


class HeldSeed:
    """A TOTP seed held in memory only, with its two-code check; ``wipe()`` drops both.
    Its repr never shows the seed."""

    DROPPED = "The MFA secret was dropped: start this step again."

    def __init__(self, seed: str, device_name: str, account_id: str, check: TwoCodeCheck,
                 label_account: str | None = None) -> None:
        self._seed: str | None = seed
        self.device_name = device_name
        self.account_id = account_id
        # AWS labels its QR codes with the account alias when there is one, else the ID.
        self.label_account = label_account or account_id
        self.check = check

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(device={self.device_name!r}, account_id={self.account_id!r}, "
                f"seed={'held' if self.active else 'wiped'})")

    @property
    def active(self) -> bool:
        return self._seed is not None

    @property
    def seed(self) -> str:
        if self._seed is None:
            raise WizardError(self.DROPPED)
        return self._seed

    @property
    def uri(self) -> str:
        """The otpauth URI for the QR code, labelled as AWS labels its own."""
        return aws_otpauth_uri(self.seed, self.device_name, self.label_account)

    def secret_text(self) -> str:
        """The secret key in groups of 4, for manual entry; only shown on request."""
        return group4(self.seed)

    def backup(self, store: SeedBackup | None = None) -> SaveResult:
        """Opt-in: save the seed in the OS keyring (never a file)."""
        return (store or SeedBackup()).save(self.account_id, self.device_name, self.seed)

    def wipe(self) -> None:
        self._seed = None
        self.check.wipe()


class Enrollment(HeldSeed):
    """A virtual device created for ``user`` and not yet enabled."""

    def __init__(self, user: str, device_name: str, serial: str, account_id: str, seed: str,
                 check: TwoCodeCheck, label_account: str | None = None) -> None:
        super().__init__(seed, device_name, account_id, check, label_account)
        self.user = user
        self.serial = serial
        self.enabled = False
        self.deleted = False

    def __repr__(self) -> str:
        return f"Enrollment(user={self.user!r}, serial={self.serial!r}, seed={'held' if self.active else 'wiped'})"


def start_enrollment(aws: AwsAccess, user: str, device_name: str, *, account_id: str | None = None,
                     **check_options: Any) -> Enrollment:
    """Create the virtual device (iam:CreateVirtualMFADevice). The user must exist.
    Raises AlreadyExistsError when the device name is taken (see free_device_name)."""
    user = validate_user_name(user)
    device_name = validate_device_name(device_name, user)
    aws.get_user(user)  # NotFoundError before anything is created
    account = account_id or aws.identity().account_id
    alias = aws.account_alias()
    serial, seed = aws.create_virtual_mfa_device(device_name)
    try:
        check = TwoCodeCheck(seed, **check_options)
    except InputError:
        _delete_quietly(aws, serial)
        raise WizardError("AWS returned a secret key that is not valid base32; the device was deleted.") from None
    return Enrollment(user, device_name, serial, account, seed, check, alias)


def free_device_name(aws: AwsAccess, name: str) -> str:
    """A device name like ``name`` that no virtual device of the account uses yet."""
    taken = {d["SerialNumber"].rsplit("/", 1)[-1] for d in aws.list_virtual_mfa_devices("Any")}
    for n in range(2, 1000):
        candidate = f"{name[:DEVICE_NAME_MAX - 4]}-{n}"
        if candidate not in taken:
            return candidate
    raise WizardError("No free device name found: choose one yourself.")


def check_codes(enrollment: Enrollment, code1: str, code2: str) -> AcceptedPair:
    """The local two-code check only (raises CodeRejected)."""
    return enrollment.check.check(code1, code2)


def complete(aws: AwsAccess, enrollment: Enrollment, code1: str, code2: str) -> dict[str, Any]:
    """Check the two codes locally, enable the device with the same codes, and confirm it
    with iam:ListMFADevices. Returns the evidence (user, serial; never the seed).

    CodeRejected (local check) leaves the device in place for another pair. Any failure
    after that deletes the still-unassigned device and drops the seed, then re-raises:
    the step can be started again."""
    check_codes(enrollment, code1, code2)
    try:
        aws.enable_mfa_device(enrollment.user, enrollment.serial, normalize_code(code1), normalize_code(code2))
    except WizardError as exc:
        cancel(aws, enrollment, reason=exc)
        raise
    enrollment.wipe()
    enrollment.enabled = True
    serials = [d["SerialNumber"] for d in aws.list_mfa_devices(enrollment.user)]
    if enrollment.serial not in serials:
        raise WizardError(
            f"AWS accepted the codes but iam:ListMFADevices does not show {enrollment.serial} "
            f"for {enrollment.user}.", hint="Verify again in a moment (IAM is eventually consistent).")
    return {"user": enrollment.user, "serial": enrollment.serial, "verified_by": "iam:ListMFADevices"}


def cancel(aws: AwsAccess, enrollment: Enrollment, *, reason: BaseException | None = None) -> None:
    """Delete the unassigned device and drop the seed. If the deletion fails, raise a
    WizardError that names the serial to delete by hand (and the original reason)."""
    enrollment.wipe()
    try:
        aws.delete_virtual_mfa_device(enrollment.serial)
        enrollment.deleted = True
    except NotFoundError:
        enrollment.deleted = True
    except WizardError as exc:
        before = f"{reason} " if reason else ""
        raise WizardError(
            f"{before}The unassigned device {enrollment.serial} could not be deleted: {exc.message}",
            hint="Delete it later: rootwizard offers unassigned devices for clean-up, or run "
                 f"aws iam delete-virtual-mfa-device --serial-number {enrollment.serial}") from None


def cancel_quietly(aws: AwsAccess, enrollment: Enrollment) -> None:
    """cancel(), logging instead of raising (a clean-up nobody waits for)."""
    try:
        cancel(aws, enrollment)
    except WizardError as exc:
        log.warning("cleanup of the unassigned MFA device failed: %s", exc)


class EnrollmentHolder:
    """The one enrolment a screen has in progress, safe across worker threads.

    Every call that creates, enables or deletes its device goes through the holder, and
    ``close()`` says the screen is leaving. A device is deleted as soon as the holder is
    closed and no call is in flight, or when the last call in flight ends after the
    close: leaving while iam:CreateVirtualMFADevice is running cannot orphan the device
    the call creates, and a clean-up never runs beside an EnableMFADevice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()      # guards the fields below
        self._one_call = threading.Lock()  # calls on the device run one after the other
        self._busy = 0
        self._closed = False
        self._enrollment: Enrollment | None = None

    @contextmanager
    def _call(self, aws: AwsAccess) -> Iterator[None]:
        with self._lock:
            self._busy += 1
        try:
            with self._one_call:
                yield
        finally:
            with self._lock:
                self._busy -= 1
                left = self._left_over()
            if left is not None:
                cancel_quietly(aws, left)

    def _left_over(self) -> Enrollment | None:
        """Under the lock: the enrolment to delete now, if the holder is closed and idle."""
        e = self._enrollment
        if self._closed and self._busy == 0 and e is not None and not (e.enabled or e.deleted):
            self._enrollment = None
            return e
        return None

    def start(self, aws: AwsAccess, user: str, device_name: str, **kwargs: Any) -> Enrollment:
        with self._call(aws):
            enrollment = start_enrollment(aws, user, device_name, **kwargs)
            with self._lock:
                self._enrollment = enrollment
            return enrollment

    def complete(self, aws: AwsAccess, enrollment: Enrollment, code1: str, code2: str) -> dict[str, Any]:
        with self._call(aws):
            return complete(aws, enrollment, code1, code2)

    def cancel(self, aws: AwsAccess, enrollment: Enrollment) -> None:
        """Delete the device unless a call that ran first enabled or deleted it."""
        with self._call(aws):
            if not (enrollment.enabled or enrollment.deleted):
                cancel(aws, enrollment)

    def close(self, aws: AwsAccess) -> None:
        """Blocking: the screen is leaving. Deletes the unassigned device now, or leaves
        that to the call still in flight."""
        with self._lock:
            self._closed = True
            left = self._left_over()
        if left is not None:
            cancel_quietly(aws, left)


def _delete_quietly(aws: AwsAccess, serial: str) -> None:
    try:
        aws.delete_virtual_mfa_device(serial)
    except WizardError:
        pass


def find_orphans(aws: AwsAccess) -> list[str]:
    """Serials of virtual devices assigned to nobody (e.g. left by an interrupted
    enrolment). The root user's console flow can also hold one for a few minutes."""
    return sorted(d["SerialNumber"] for d in aws.list_virtual_mfa_devices("Unassigned"))


def delete_orphans(aws: AwsAccess, serials: list[str]) -> list[str]:
    """Delete the given unassigned devices; returns the serials deleted."""
    done = []
    for serial in serials:
        try:
            aws.delete_virtual_mfa_device(serial)
        except NotFoundError:
            pass
        done.append(serial)
    return done


def rejection_text(err: CodeRejected) -> str:
    return f"{err.message}. {err.hint}".strip() if err.hint else err.message


# --- Root MFA companion: a key pasted from the console ----------------------------------------

ROOT_DEVICE_LABEL = "root"


class PastedKey(HeldSeed):
    """The secret key the console shows while root assigns a virtual device ("Show
    secret key"), held in memory so a backup authenticator can scan the same key and two
    codes can be checked before they are typed into the console. Root MFA itself can
    only be enabled in the console."""

    DROPPED = "The secret key was dropped: paste it again."

    def __init__(self, text: str, account_id: str, **check_options: Any) -> None:
        seed = validate_base32_secret(text)
        super().__init__(seed, ROOT_DEVICE_LABEL, account_id, TwoCodeCheck(seed, **check_options))
