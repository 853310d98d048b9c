"""Small flows of the root-user steps: reads and writes through AwsAccess, and the text
the screens show for what AWS (or the credential report of this run) says.

No Textual here; the screens in screens/root_*.py call these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from wizard.aws import AwsAccess
from wizard.errors import AccessDeniedError, AwsError, UnsupportedError
from wizard.rootchecks import CONTACT_TYPES
from wizard.verify import Seen

if TYPE_CHECKING:
    from wizard.credreport import Analysis

# Failures after which the Account Management API cannot be used by this caller or
# endpoint: the screens fall back to console guidance.
API_UNAVAILABLE = (AccessDeniedError, UnsupportedError)
SECURITY_QUESTIONS_RETIRED_ON = "2024-01-05"
_CONTACT_KEYS = ("Name", "Title", "EmailAddress", "PhoneNumber")


def describe_evidence(evidence: Mapping[str, Any]) -> str:
    """What AWS showed, for the operator: "AccountAccessKeysPresent = 1"."""
    parts: list[str] = []
    for key, value in evidence.items():
        if key == "source":
            continue
        if key == "present" and isinstance(value, Mapping):
            parts.extend(f"{t} contact {'set' if v else 'not set'}" for t, v in value.items())
        else:
            parts.append(f"{key} = {value}")
    source = evidence.get("source")
    return ", ".join(parts) + (f" (from {source})" if source else "")


# --- alternate contacts ---------------------------------------------------------------


def read_alternate_contacts(aws: AwsAccess) -> dict[str, dict[str, Any] | None]:
    """The three alternate contacts, security first; None where the type is unset.
    Raises AccessDeniedError/UnsupportedError when the API cannot be used."""
    return {t: aws.get_alternate_contact(t) for t in CONTACT_TYPES}


def contacts_verdict(contacts: Mapping[str, Any]) -> Seen:
    """(all three set, evidence) in the shape wizard.verify.alternate_contacts records,
    so a resumed session re-verifies the same facts."""
    present = {t: contacts.get(t) is not None for t in CONTACT_TYPES}
    return Seen(all(present.values()), {"present": present, "source": "account:GetAlternateContact"})


def write_alternate_contact(aws: AwsAccess, contact_type: str, params: Mapping[str, str],
                            known: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any] | None]:
    """PutAlternateContact, then read it back. The other types come from ``known`` (what
    the step already read) when given, else from AWS. Raises AwsError when the read-back
    of the written type differs from what was written."""
    aws.put_alternate_contact(contact_type, dict(params))
    if known is not None and set(known) >= set(CONTACT_TYPES):
        contacts = {**known, contact_type: aws.get_alternate_contact(contact_type)}
    else:
        contacts = read_alternate_contacts(aws)
    back = contacts.get(contact_type) or {}
    differs = [k for k in _CONTACT_KEYS if back.get(k) != params[k]]
    if differs:
        raise AwsError(
            f"AWS accepted the {contact_type.lower()} contact but reads back different "
            f"values ({', '.join(differs)}).", code="ReadBackMismatch",
            action="account:GetAlternateContact",
            hint="Verify again in a moment; if it persists, check the Account page in the console.")
    return contacts


def contact_text(contact: Mapping[str, Any] | None) -> str:
    if not contact:
        return "Not set."
    return (f"{contact.get('Name', '')}, {contact.get('Title', '')} — "
            f"{contact.get('EmailAddress', '')}, {contact.get('PhoneNumber', '')}")


# --- primary contact information ------------------------------------------------------


@dataclass(frozen=True)
class ContactRead:
    info: dict[str, Any] | None  # what account:GetContactInformation answered
    problem: str = ""            # why AWS did not answer (then info is None)


def read_contact_information(aws: AwsAccess) -> ContactRead:
    """GetContactInformation, or why it cannot be read here (access denied, or an
    endpoint without the API). Other failures propagate to the screen's error panel."""
    try:
        return ContactRead(aws.get_contact_information())
    except API_UNAVAILABLE as err:
        return ContactRead(None, err.message)


_CONTACT_INFO_FIELDS = (
    ("Full name", ("FullName",)),
    ("Company", ("CompanyName",)),
    ("Address", ("AddressLine1", "AddressLine2", "AddressLine3")),
    ("City", ("City", "StateOrRegion", "DistrictOrCounty", "PostalCode", "CountryCode")),
    ("Phone", ("PhoneNumber",)),
    ("Website", ("WebsiteUrl",)),
)


def contact_information_lines(info: Mapping[str, Any]) -> list[str]:
    lines = []
    for label, keys in _CONTACT_INFO_FIELDS:
        value = ", ".join(str(info[k]) for k in keys if info.get(k))
        if value:
            lines.append(f"{label + ':':<11}{value}")
    return lines


# --- root usage from the credential report of this run ---------------------------------


def _days_ago(stamp: str | None, now: datetime) -> int | None:
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0, (now - when).days)


def _ago(days: int | None) -> str:
    if days is None:
        return ""
    return " (today)" if days == 0 else f" ({days} day{'s' if days != 1 else ''} ago)"


def root_key_lines(analysis: Analysis, now: datetime) -> list[str]:
    """One line per root access key of the analysed report: state, age, and where it
    was last used (so the operator can find what still uses it)."""
    keys = analysis.root.access_keys
    if not keys:
        return ["The credential report shows no root access keys."]
    lines = []
    for k in keys:
        used = k.last_used_date
        if used and used != "N/A":
            where = ", ".join(v for v in (k.last_used_service, k.last_used_region) if v and v != "N/A")
            usage = f"last used {used}{_ago(_days_ago(used, now))}" + (f" by {where}" if where else "")
        else:
            usage = "never used"
        lines.append(f"Root key {k.key}: {'active' if k.active else 'inactive'}, created "
                     f"{k.last_rotated} ({k.age_days} days old), {usage}.")
    return lines


def root_usage_lines(analysis: Analysis, now: datetime) -> list[str]:
    root = analysis.root
    used = root.password_last_used
    if used:
        password = f"Root password last used: {used}{_ago(root.password_last_used_days_ago)}."
    elif root.password_last_used_raw == "no_information":
        password = "Root password last used: never (no sign-in recorded)."
    else:
        password = "Root password last used: not recorded (no root password, or never used)."
    use = root.last_used
    latest = (f"Root last used: {use.describe()} (the latest use of its password or access keys)."
              if use is not None else "Root last used: never (no use of its password or access keys recorded).")
    return [latest, password, *root_key_lines(analysis, now)]


def root_usage_evidence(analysis: Analysis | None) -> dict[str, Any]:
    """What the operator saw when confirming, from the report of this run (no secrets)."""
    if analysis is None:
        return {"credential_report": "not analysed in this run"}
    root = analysis.root
    return {
        "root_last_used": None if root.last_used is None else {
            "credential": root.last_used.credential, "at": root.last_used.at, "days_ago": root.last_used.days_ago},
        "root_password_last_used": root.password_last_used,
        "root_access_keys_last_used": [k.last_used_date for k in root.access_keys],
        "source": "iam:GetCredentialReport (<root_account> row)",
    }
