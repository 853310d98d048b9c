"""The finding rules: one table (``RULES``), evaluated in one loop over an analysis.

Each rule has a stable id (it is in `rootwizard audit --json`, the session and the
completion record: never rename one), a severity, what it means, how to fix it (with the
AWS CLI command where one exists and the wizard step where the wizard does it) and its
CIS AWS Foundations Benchmark numbers per version (../shared/AWS-FACTS.md §5; a version
that dropped the recommendation has none). Adding a finding is adding a ``Rule`` here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from wizard.text import visible

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing on the audit path
if TYPE_CHECKING:
    from typing import Any

    from wizard.credreport import Analysis

SEVERITIES = ("critical", "high", "medium", "low")
CIS_VERSIONS = ("v3.0.0", "v4.0.1", "v5.0.0", "v6.0.0", "v7.0.0")
SHOWN_CIS_VERSIONS = ("v5.0.0", "v7.0.0")  # the versions the text output and the TUI name
ROOT = "<root_account>"


def _cis(*numbers: str) -> Mapping[str, str]:
    """Numbers in CIS_VERSIONS order; "-" where that version has no such recommendation."""
    assert len(numbers) == len(CIS_VERSIONS)
    return {v: n for v, n in zip(CIS_VERSIONS, numbers) if n != "-"}


# CIS AWS Foundations recommendations the rules refer to (AWS-FACTS §5).
CIS_ROOT_ACCESS_KEY = _cis("1.4", "1.4", "1.3", "2.3", "2.4")
CIS_ROOT_MFA = _cis("1.5", "1.5", "1.4", "2.4", "2.5")
CIS_ROOT_USE = _cis("1.7", "1.7", "1.6", "2.6", "2.7")
CIS_CONSOLE_MFA = _cis("1.10", "1.10", "1.9", "2.9", "2.10")
CIS_NO_KEYS_AT_SETUP = _cis("1.11", "1.11", "1.10", "2.10", "-")
CIS_UNUSED_45_DAYS = _cis("1.12", "1.12", "1.11", "2.11", "2.11")
CIS_ONE_ACTIVE_KEY = _cis("1.13", "1.13", "1.12", "2.12", "-")
CIS_KEY_ROTATION = _cis("1.14", "1.14", "1.13", "2.13", "2.12")
CIS_SECURITY_CONTACT = _cis("1.2", "1.2", "1.2", "2.2", "2.3")
CIS_PASSWORD_LENGTH = _cis("1.8", "1.8", "1.7", "2.7", "2.8")
CIS_PASSWORD_REUSE = _cis("1.9", "1.9", "1.8", "2.8", "2.9")
NO_CIS: Mapping[str, str] = {}


class Match:
    """What a rule found: the subjects (``user`` or ``user:credential``) and the text
    line that names them."""

    __slots__ = ("subjects", "detail")

    def __init__(self, subjects: tuple[str, ...], detail: str) -> None:
        self.subjects = subjects
        self.detail = detail


def cis_text(cis: Mapping[str, str]) -> str:
    """``CIS v5.0.0 1.4, v7.0.0 2.5``: a rule's numbers (CIS version -> number) for the
    versions shown to people."""
    shown = [f"{v} {cis[v]}" for v in SHOWN_CIS_VERSIONS if v in cis]
    if not shown:
        return ("CIS " + ", ".join(f"{v} {n}" for v, n in cis.items()) + " (dropped since)"
                if cis else "not a CIS recommendation")
    dropped = [v for v in SHOWN_CIS_VERSIONS if v not in cis]
    return "CIS " + ", ".join(shown) + "".join(f" (not in {v})" for v in dropped)


@dataclass(frozen=True, slots=True)
class Rule:
    """One finding rule; ``check`` returns what it matched in an analysis, or None."""

    id: str
    severity: str  # one of SEVERITIES
    title: str
    why: str
    fix: str
    command: str | None  # the AWS CLI command that fixes it, where there is one
    step: str | None  # the wizard step that fixes it, None when the wizard does not
    cis: Mapping[str, str]  # CIS version -> recommendation number
    check: Callable[[Analysis], Match | None]
    strict: str | None = None  # why `audit --strict` fails ({n}: subjects, {names}: listing)
    # What the check needs from a live read of the account (the part names of
    # wizard.after_state's ``missing``; "report": the session's credential report). Where
    # one was not read, wizard.residual shows the rule as unknown, never as fixed.
    reads: tuple[str, ...] = ()

    def cis_text(self) -> str:
        """``CIS v5.0.0 1.4, v7.0.0 2.5`` for the versions shown to people."""
        return cis_text(self.cis)


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that matched, with what it matched."""

    rule: Rule
    subjects: tuple[str, ...]
    detail: str  # the affected users / keys, for people

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def severity(self) -> str:
        return self.rule.severity

    @property
    def title(self) -> str:
        return self.rule.title

    @property
    def why(self) -> str:
        return self.rule.why

    @property
    def fix(self) -> str:
        return self.rule.fix

    @property
    def command(self) -> str | None:
        return self.rule.command

    @property
    def step(self) -> str | None:
        return self.rule.step

    @property
    def cis(self) -> Mapping[str, str]:
        return self.rule.cis

    def to_json(self) -> dict[str, object]:
        """The finding as `audit --json` and the session write it."""
        return {"id": self.rule.id, "severity": self.rule.severity, "title": self.rule.title,
                "cis": dict(self.rule.cis), "step": self.rule.step, "subjects": list(self.subjects)}


def listing(items: Sequence[str], limit: int = 10) -> str:
    """``a, b, c`` — at most ``limit`` items, then ``and N more``; control characters in
    them (names come from the report) made visible."""
    shown = visible(", ".join(items[:limit]))
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def _counted(entries: Sequence[Any], subject: Callable[[Any], str], text: Callable[[Any], str],
             limit: int = 10) -> Match | None:
    """A match naming every entry in ``subjects`` and the first ``limit`` in its detail."""
    if not entries:
        return None
    shown = visible(", ".join(text(e) for e in entries[:limit]))
    more = f" and {len(entries) - limit} more" if len(entries) > limit else ""
    return Match(tuple(map(subject, entries)), f"{len(entries)}: {shown}{more}")


def _users(names: tuple[str, ...]) -> Match | None:
    return Match(names, f"{len(names)}: {listing(names)}") if names else None


def _keys(entries: Sequence[Any], extra: Callable[[Any], str] | None = None) -> Match | None:
    return _counted(entries, lambda e: f"{e.user}:access_key_{e.key}",
                    lambda e: f"{e.user} key {e.key}" + (extra(e) if extra else ""))


# --- the checks --------------------------------------------------------------------------

def _root_mfa(a: Analysis) -> Match | None:
    if a.root.mfa_active or a.root.credentials_removed:  # no credential to protect: the best state
        return None
    return Match((ROOT,), "The <root_account> row has mfa_active false.")


def _root_key_text(a: Analysis) -> str:
    return "; ".join(
        f"key {k.key} {'active' if k.active else 'inactive'}, rotated {k.last_rotated} "
        f"({k.age_days} d), last used {k.last_used_date}" for k in a.root.access_keys)


def _root_key_active(a: Analysis) -> Match | None:
    keys = a.root.access_keys
    if not any(k.active for k in keys):
        return None
    return Match(tuple(f"{ROOT}:access_key_{k.key}" for k in keys), _root_key_text(a))


def _root_key_inactive(a: Analysis) -> Match | None:
    keys = a.root.access_keys
    if not keys or any(k.active for k in keys):
        return None
    return Match(tuple(f"{ROOT}:access_key_{k.key}" for k in keys), _root_key_text(a))


def _root_certs(a: Analysis) -> Match | None:
    n = a.root.signing_certs_active
    if not n:
        return None
    return Match(tuple(f"{ROOT}:cert_{c}" for c in a.root.signing_certs),
                 f"{n} active X.509 signing certificate(s) on the root user.")


def _root_used(a: Analysis) -> Match | None:
    use = a.root.last_used  # the password or an access key, whichever was used last
    if use is None or use.days_ago >= 90:
        return None
    return Match((f"{ROOT}:{use.credential}",), f"Root {use.describe()}.")


def _console_no_mfa(a: Analysis) -> Match | None:
    return _users(a.console_users_without_mfa)


def _old_keys(a: Analysis) -> Match | None:
    return _keys(a.access_keys_older_than_90_days, lambda e: f" ({e.age_days} d)")


def _unused_45(a: Analysis) -> Match | None:
    return _counted(a.unused_credentials_over_45_days, lambda e: f"{e.user}:{e.credential}",
                    lambda e: f"{e.user} {e.credential} ({e.days} d)")


def _unused_90(a: Analysis) -> Match | None:
    return _counted(a.password_unused_over_90_days, lambda e: f"{e.user}:password",
                    lambda e: f"{e.user} ({e.days} d)")


def _never_used_password(a: Analysis) -> Match | None:
    return _users(a.password_never_used)


def _never_used_key(a: Analysis) -> Match | None:
    return _keys(a.access_keys_never_used)


def _two_keys(a: Analysis) -> Match | None:
    return _users(a.users_with_two_active_keys)


def _inactive_keys(a: Analysis) -> Match | None:
    return _keys(a.inactive_access_keys)


def _certs(a: Analysis) -> Match | None:
    return _counted(a.active_signing_certificates, lambda e: f"{e.user}:cert_{e.cert}",
                    lambda e: f"{e.user} cert {e.cert}")


def _policy(field: str, minimum: int, what: str) -> Callable[[Analysis], Match | None]:
    def check(a: Analysis) -> Match | None:
        if a.password_policy is None:  # not read (a credential report does not hold it)
            return None
        value = a.password_policy.get(field) or 0  # {}: no policy set, AWS's default applies
        if value >= minimum:
            return None
        return Match((f"password policy: {what} {value or 'not set'}",),
                     f"The password policy's {what} is {value or 'not set'}, not {minimum} or more.")
    return check


def _contacts(a: Analysis) -> Match | None:
    if a.alternate_contacts is None:  # not read (a credential report does not hold it)
        return None
    unset = tuple(f"{kind.lower()} contact" for kind, present in a.alternate_contacts.items() if not present)
    return Match(unset, f"Not set: {listing(unset)}.") if unset else None


_ROOT_KEY_WHY = ("A root access key gives unrestricted API access that no policy can limit; a leaked key "
                 "is a full account takeover.")
_ROOT_KEY_FIX = "Delete the root access keys (after moving anything that uses them to an IAM role)."
_ROOT_KEY_COMMAND = ("aws iam delete-access-key --access-key-id ID (as root, or in an sts:AssumeRoot "
                     "session with IAMDeleteRootUserCredentials)")
_ROOT_KEY_STRICT = "The root user has {n} access key(s)."

# In the order findings of the same severity are shown: root first, then IAM users.
RULES: tuple[Rule, ...] = (
    Rule("root-mfa-missing", "critical", "Root user has no MFA",
         "Whoever learns the root password controls the whole account, including billing and closing "
         "it; AWS now requires root MFA to reach the console.",
         "Register a passkey, security key or authenticator app for the root user (console only).",
         None, "root_mfa", CIS_ROOT_MFA, _root_mfa, strict="The root user has no MFA.", reads=("root",)),
    Rule("root-access-key-active", "critical", "Root user has an active access key",
         _ROOT_KEY_WHY, _ROOT_KEY_FIX, _ROOT_KEY_COMMAND, "root_access_keys", CIS_ROOT_ACCESS_KEY,
         _root_key_active, strict=_ROOT_KEY_STRICT, reads=("root",)),
    Rule("root-access-key-inactive", "high", "Root user has an inactive access key",
         _ROOT_KEY_WHY, _ROOT_KEY_FIX, _ROOT_KEY_COMMAND, "root_access_keys", CIS_ROOT_ACCESS_KEY,
         _root_key_inactive, strict=_ROOT_KEY_STRICT, reads=("root",)),
    Rule("root-signing-certificate-active", "high", "Root user has an active signing certificate",
         "A signing certificate is a long-lived root credential for SOAP-era APIs.",
         "Sign in as root, open Security credentials, X.509 certificates, and delete them.",
         "aws iam delete-signing-certificate --certificate-id ID (as root, or in an sts:AssumeRoot "
         "session with IAMDeleteRootUserCredentials)", None, NO_CIS, _root_certs, reads=("root",)),
    Rule("root-used-recently", "medium", "Root user used recently",
         "Root should be kept for the few tasks only it can do; everyday root use (its password or its "
         "access keys) widens the window for a stolen session, password or key.",
         "Create an administrator IAM user or Identity Center user and use it instead of root; move "
         "whatever uses a root access key to an IAM role, then delete the key.",
         None, "root_usage", CIS_ROOT_USE, _root_used, reads=("report",)),
    Rule("console-user-without-mfa", "high", "Console users without MFA",
         "A password alone is phished or reused easily; MFA stops most console takeovers.",
         "Enrol an MFA device for each of these users.",
         "aws iam create-virtual-mfa-device, then aws iam enable-mfa-device --user-name USER",
         "iam_user_mfa", CIS_CONSOLE_MFA, _console_no_mfa,
         strict="{n} console user(s) without MFA: {names}.", reads=("users",)),
    Rule("access-key-older-than-90-days", "medium", "Active access keys older than 90 days",
         "The longer a key lives the more places it has been copied to, and a leaked key works until "
         "it is rotated.",
         "Rotate each key: aws iam create-access-key --user-name USER, switch the application to the new "
         "key, then aws iam update-access-key --status Inactive and aws iam delete-access-key on the old "
         "one (or IAM console, Users, Security credentials).",
         "aws iam create-access-key --user-name USER; aws iam update-access-key --user-name USER "
         "--access-key-id OLD --status Inactive; aws iam delete-access-key --user-name USER --access-key-id OLD",
         None, CIS_KEY_ROTATION, _old_keys, reads=("users.access_keys",)),
    Rule("credential-unused-over-45-days", "medium", "Credentials unused for more than 45 days",
         "Unused passwords and keys are attack surface nobody watches (CIS: disable credentials unused "
         "for 45 days or more).",
         "Remove unused passwords (aws iam delete-login-profile --user-name USER) and deactivate unused "
         "keys (aws iam update-access-key --user-name USER --access-key-id ID --status Inactive).",
         "aws iam delete-login-profile --user-name USER; aws iam update-access-key --user-name USER "
         "--access-key-id ID --status Inactive",
         None, CIS_UNUSED_45_DAYS, _unused_45,
         reads=("users", "users.access_keys", "users.access_keys.last_used")),
    Rule("password-unused-over-90-days", "medium", "Console passwords unused for more than 90 days",
         "A password nobody uses is not noticed when it is stolen.",
         "Remove the console password of each user who no longer signs in (aws iam delete-login-profile "
         "--user-name USER), or remove the user. Password expiry is a separate choice (the password "
         "policy step).",
         "aws iam delete-login-profile --user-name USER",
         None, CIS_UNUSED_45_DAYS, _unused_90, reads=("users",)),
    Rule("console-password-never-used", "low", "Console passwords never used",
         "A password set but never used is often an initial password that may still be known to others.",
         "Remove it (aws iam delete-login-profile --user-name USER) or require a reset at next sign-in.",
         "aws iam delete-login-profile --user-name USER", None, NO_CIS, _never_used_password, reads=("users",)),
    Rule("access-key-never-used", "low", "Active access keys never used",
         "A key that was never used is not needed, but works for whoever finds it.",
         "Delete it: aws iam delete-access-key --user-name USER --access-key-id ID.",
         "aws iam delete-access-key --user-name USER --access-key-id ID", None, CIS_NO_KEYS_AT_SETUP,
         _never_used_key, reads=("users.access_keys", "users.access_keys.last_used")),
    Rule("user-with-two-active-keys", "low", "Users with two active access keys",
         "Two active keys are normal only during a rotation; otherwise one of them is forgotten.",
         "Finish the rotation: deactivate and delete the older key (aws iam update-access-key, "
         "aws iam delete-access-key).",
         "aws iam update-access-key --user-name USER --access-key-id OLD --status Inactive; "
         "aws iam delete-access-key --user-name USER --access-key-id OLD", None, CIS_ONE_ACTIVE_KEY, _two_keys,
         reads=("users.access_keys",)),
    Rule("access-key-inactive", "low", "Inactive access keys",
         "An inactive key can be re-activated by anyone allowed to; it only adds clutter.",
         "Delete it once nothing broke while it was off: aws iam delete-access-key.",
         "aws iam delete-access-key --user-name USER --access-key-id ID", None, NO_CIS, _inactive_keys,
         reads=("users.access_keys",)),
    Rule("signing-certificate-active", "low", "Active signing certificates",
         "Signing certificates are long-lived credentials that few services still need.",
         "Delete unneeded ones: aws iam delete-signing-certificate --user-name USER --certificate-id ID.",
         "aws iam delete-signing-certificate --user-name USER --certificate-id ID", None, NO_CIS, _certs,
         reads=("users.signing_certificates",)),
    # Account settings a credential report does not hold: they match only on a live read
    # (wizard.residual), never in `rootwizard audit`.
    Rule("password-policy-length-below-14", "medium", "Password policy minimum length below 14",
         "Short passwords fall to guessing and cracking; CIS asks for at least 14 characters.",
         "Set a minimum length of 14 or more in the password policy (the password policy step), sending "
         "the whole policy: every setting left out reverts to its default.",
         "aws iam update-account-password-policy --minimum-password-length 14 (with every other setting "
         "to keep)", "password_policy", CIS_PASSWORD_LENGTH,
         _policy("MinimumPasswordLength", 14, "minimum length"), reads=("password_policy",)),
    Rule("password-policy-reuse-below-24", "medium", "Password policy does not prevent reuse of 24",
         "Without reuse prevention a forced change can go straight back to a leaked password.",
         "Set password reuse prevention to 24 in the password policy (the password policy step), sending "
         "the whole policy: every setting left out reverts to its default.",
         "aws iam update-account-password-policy --password-reuse-prevention 24 (with every other setting "
         "to keep)", "password_policy", CIS_PASSWORD_REUSE,
         _policy("PasswordReusePrevention", 24, "reuse prevention"), reads=("password_policy",)),
    Rule("alternate-contact-missing", "medium", "Alternate contact not set",
         "AWS sends security notices (abuse reports, compromised keys) to the security contact; without "
         "one they reach only the root email address.",
         "Set the security, operations and billing alternate contacts (the alternate contacts step).",
         "aws account put-alternate-contact --alternate-contact-type SECURITY --name NAME "
         "--email-address EMAIL --phone-number PHONE --title TITLE", "alternate_contacts",
         CIS_SECURITY_CONTACT, _contacts, reads=("alternate_contacts",)),
)
RULES_BY_ID: Mapping[str, Rule] = {r.id: r for r in RULES}
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def evaluate(analysis: Analysis) -> tuple[Finding, ...]:
    """Every rule that matches, most severe first (the table's order within a severity)."""
    found = []
    for rule in RULES:
        match = rule.check(analysis)
        if match is not None:
            found.append(Finding(rule, match.subjects, match.detail))
    found.sort(key=lambda f: _RANK[f.rule.severity])
    return tuple(found)


def strict_failures(found: Iterable[Finding]) -> list[str]:
    """Why `audit --strict` fails (empty when it passes), from the rules marked strict."""
    return [f.rule.strict.format(n=len(f.subjects), names=listing(f.subjects)) + f" ({f.rule.id})"
            for f in sorted(found, key=lambda f: RULES.index(f.rule)) if f.rule.strict]
