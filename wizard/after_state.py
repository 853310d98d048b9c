"""The account's state at the end of a session, from live API reads, labelled with the time
read: what the completion record's "after" shows and what ``rootwizard verify`` compares.

The credential report is not used for these facts: AWS hands back the same report for four
hours, so a report fetched at the end usually shows the account as it was before the
operator's changes. Facts only a report holds (root's last sign-in and key use) are carried
with the report's GeneratedTime and marked as older than the changes when they are.

A part the caller may not read (AccessDenied) or the endpoint does not serve is not
guessed: it is None, and ``missing`` names the permission.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from wizard.aws import AwsAccess
from wizard.checklist import Checklist, Status, iso, utcnow
from wizard.errors import AccessDeniedError, UnsupportedError
from wizard.report_flow import may_predate

# GetAccountSummary entries about the root user (AWS's own names).
ROOT_SUMMARY_KEYS = ("AccountMFAEnabled", "AccountAccessKeysPresent", "AccountPasswordPresent",
                     "AccountSigningCertificatesPresent")
# Steps whose outcome is a read, not a change to the account.
NOT_CHANGES = ("connect", "credential_report", "summary")
SOURCE = "live API reads"

T = TypeVar("T")


def _stamp(value: Any) -> str | None:
    """An API datetime as ISO 8601 UTC (whole seconds), as the rest of the record writes it."""
    if isinstance(value, datetime):
        return iso(value.replace(microsecond=0))
    return str(value) if value else None


@dataclass(frozen=True)
class AccessKey:
    key_id: str
    status: str                 # "Active" | "Inactive"
    created: str | None
    last_used: str | None       # None: never used (or AWS has no record)
    last_used_service: str | None
    last_used_region: str | None

    def to_json(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "status": self.status, "created": self.created,
                "last_used": self.last_used, "last_used_service": self.last_used_service,
                "last_used_region": self.last_used_region}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> AccessKey:
        return cls(str(d["key_id"]), str(d["status"]), d.get("created"), d.get("last_used"),
                   d.get("last_used_service"), d.get("last_used_region"))


@dataclass(frozen=True)
class UserState:
    name: str
    console: bool                          # has a login profile (console password)
    password_last_used: str | None
    mfa_devices: tuple[str, ...]           # serial numbers of assigned MFA devices
    access_keys: tuple[AccessKey, ...] | None  # None: not readable
    created: str | None = None
    password_created: str | None = None    # the login profile's CreateDate
    signing_certificates: tuple[str, ...] | None = None  # ids of active ones; None: not readable

    def to_json(self) -> dict[str, Any]:
        certs = self.signing_certificates
        return {"name": self.name, "created": self.created, "console": self.console,
                "password_created": self.password_created, "password_last_used": self.password_last_used,
                "mfa_devices": list(self.mfa_devices),
                "access_keys": None if self.access_keys is None else [k.to_json() for k in self.access_keys],
                "signing_certificates": None if certs is None else list(certs)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> UserState:
        keys, certs = d.get("access_keys"), d.get("signing_certificates")
        return cls(str(d["name"]), bool(d.get("console")), d.get("password_last_used"),
                   tuple(str(s) for s in d.get("mfa_devices") or ()),
                   None if keys is None else tuple(AccessKey.from_json(k) for k in keys),
                   d.get("created"), d.get("password_created"),
                   None if certs is None else tuple(str(c) for c in certs))


@dataclass(frozen=True)
class ReportFacts:
    """What only the credential report shows, with its time."""

    generated_time: str | None
    older_than_changes: bool     # generated before the session's last change to the account
    root_password_last_used: str | None
    root_access_keys: tuple[dict[str, Any], ...]  # key, active, last_used_date, service, region

    def to_json(self) -> dict[str, Any]:
        return {"generated_time": self.generated_time, "older_than_changes": self.older_than_changes,
                "root_password_last_used": self.root_password_last_used,
                "root_access_keys": [dict(k) for k in self.root_access_keys]}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ReportFacts:
        return cls(d.get("generated_time"), bool(d.get("older_than_changes")),
                   d.get("root_password_last_used"), tuple(dict(k) for k in d.get("root_access_keys") or ()))


@dataclass(frozen=True)
class AfterState:
    account_id: str
    read_at: str
    root: dict[str, int] | None              # ROOT_SUMMARY_KEYS from iam:GetAccountSummary (those it gave)
    password_policy: dict[str, Any] | None   # every field by API name; None with policy_present False
    policy_present: bool | None              # None: not readable
    alternate_contacts: dict[str, bool] | None  # SECURITY/OPERATIONS/BILLING -> set
    users: tuple[UserState, ...] | None
    missing: dict[str, str] = field(default_factory=dict)  # part -> the permission it needs
    report: ReportFacts | None = None

    # -- derived facts ---------------------------------------------------------------------
    @property
    def console_users_without_mfa(self) -> list[str] | None:
        if self.users is None:
            return None
        return [u.name for u in self.users if u.console and not u.mfa_devices]

    def user(self, name: str) -> UserState | None:
        return next((u for u in self.users or () if u.name == name), None)

    @property
    def root_credentials_removed(self) -> bool | None:
        """No root password, access key or signing certificate (centralized root access)."""
        keys = ("AccountPasswordPresent", "AccountAccessKeysPresent", "AccountSigningCertificatesPresent")
        if self.root is None or any(k not in self.root for k in keys):
            return None
        return not any(self.root[k] for k in keys)

    # -- JSON --------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "read_at": self.read_at,
            "source": SOURCE,
            "root": None if self.root is None else dict(self.root),
            "password_policy": self.password_policy,
            "policy_present": self.policy_present,
            "alternate_contacts": self.alternate_contacts,
            "users": None if self.users is None else [u.to_json() for u in self.users],
            "console_users_without_mfa": self.console_users_without_mfa,
            "missing": dict(self.missing),
            "report": None if self.report is None else self.report.to_json(),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> AfterState:
        users = d.get("users")
        report = d.get("report")
        return cls(
            account_id=str(d.get("account_id") or ""), read_at=str(d.get("read_at") or ""),
            root=None if d.get("root") is None else {k: int(v) for k, v in d["root"].items()},
            password_policy=d.get("password_policy"), policy_present=d.get("policy_present"),
            alternate_contacts=d.get("alternate_contacts"),
            users=None if users is None else tuple(UserState.from_json(u) for u in users),
            missing=dict(d.get("missing") or {}),
            report=None if report is None else ReportFacts.from_json(report))


# -- reading ------------------------------------------------------------------------------------


def _part(missing: dict[str, str], name: str, read: Callable[[], T]) -> T | None:
    """``read()``, or None with the permission named in ``missing`` when AWS refuses it."""
    try:
        return read()
    except (AccessDeniedError, UnsupportedError) as exc:
        missing[name] = exc.action or name
        return None


def _user_state(aws: AwsAccess, user: Mapping[str, Any], missing: dict[str, str]) -> UserState:
    name = str(user["UserName"])
    profile = _part(missing, "users.console", lambda: aws.login_profile(name))
    certs = _part(missing, "users.signing_certificates", lambda: aws.list_signing_certificates(name))
    devices = _part(missing, "users.mfa_devices", lambda: aws.list_mfa_devices(name))
    keys_meta = _part(missing, "users.access_keys", lambda: aws.list_access_keys(name))
    keys: tuple[AccessKey, ...] | None = None
    if keys_meta is not None:
        out = []
        for k in keys_meta:
            key_id = str(k["AccessKeyId"])
            used = _part(missing, "users.access_keys.last_used", partial(aws.access_key_last_used, key_id)) or {}
            out.append(AccessKey(str(k["AccessKeyId"]), str(k.get("Status", "")), _stamp(k.get("CreateDate")),
                                 _stamp(used.get("LastUsedDate")),
                                 used.get("ServiceName") if used.get("LastUsedDate") else None,
                                 used.get("Region") if used.get("LastUsedDate") else None))
        keys = tuple(out)
    return UserState(name=name, console=profile is not None, password_last_used=_stamp(user.get("PasswordLastUsed")),
                     mfa_devices=tuple(str(d["SerialNumber"]) for d in devices or ()), access_keys=keys,
                     created=_stamp(user.get("CreateDate")),
                     password_created=_stamp(profile.get("CreateDate")) if profile else None,
                     signing_certificates=None if certs is None else tuple(
                         str(c["CertificateId"]) for c in certs if c.get("Status") == "Active"))


def read(aws: AwsAccess, account_id: str, *, checklist: Checklist | None = None,
         now: Callable[[], datetime] = utcnow) -> AfterState:
    """Read the account's state now (blocking: run it in a worker). Denied parts are None
    and named in ``missing``; other AWS errors propagate. ``checklist`` supplies the
    report facts (root's last use) and the time of the session's last change."""
    from wizard.policy import FIELDS, Policy
    from wizard.rootflow import read_alternate_contacts

    missing: dict[str, str] = {}
    summary = _part(missing, "root", aws.account_summary)
    # a key AWS (or an emulator) leaves out is unknown, not 0
    root = None if summary is None else {k: int(summary[k]) for k in ROOT_SUMMARY_KEYS if k in summary}
    raw_policy = _part(missing, "password_policy", aws.get_password_policy)
    policy_present = None if "password_policy" in missing else raw_policy is not None
    policy = None
    if raw_policy is not None:
        p = Policy.from_api(raw_policy)
        policy = {spec.name: getattr(p, spec.attr) for spec in FIELDS}
    contacts = _part(missing, "alternate_contacts", lambda: read_alternate_contacts(aws))
    users_raw = _part(missing, "users", aws.list_users)
    users = None
    if users_raw is not None:
        users = tuple(_user_state(aws, u, missing) for u in sorted(users_raw, key=lambda u: u["UserName"]))
        # a user whose parts were denied is not evidence of "no console / no MFA"
        if any(k in missing for k in ("users.console", "users.mfa_devices")):
            users = None
    return AfterState(
        account_id=account_id, read_at=iso(now().replace(microsecond=0)) or "", root=root,
        password_policy=policy, policy_present=policy_present,
        alternate_contacts=None if contacts is None else {t: c is not None for t, c in contacts.items()},
        users=users, missing=missing, report=report_facts(checklist) if checklist else None)


def last_change(checklist: Checklist) -> str | None:
    """When the session last changed the account (a step closed by a change, not a read)."""
    times = [r.changed_at for sid, r in checklist.steps.items()
             if sid not in NOT_CHANGES and r.changed_at and r.status in (Status.DONE, Status.CONFIRMED)]
    return max(times, default=None)


def report_facts(checklist: Checklist) -> ReportFacts | None:
    """Root's last use from the session's latest credential report, marked as older than
    the session's last change when it is (it then says nothing about that change)."""
    f = checklist.findings_after or checklist.findings_before
    if not f or not isinstance(f.get("root"), Mapping):
        return None
    generated = f.get("generated_time")
    changed = last_change(checklist)
    older = bool(generated and changed and may_predate(_when(generated), changed))
    root = f["root"]
    keys = tuple({"key": k.get("key"), "active": k.get("active"), "last_used_date": k.get("last_used_date"),
                  "last_used_service": k.get("last_used_service"), "last_used_region": k.get("last_used_region")}
                 for k in root.get("access_keys") or ())
    return ReportFacts(generated, older, root.get("password_last_used"), keys)


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
