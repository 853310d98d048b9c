"""Root-user steps: the root password rules, alternate-contact input, operator notes,
and what only root can do (each root step's guidance is declared in wizard.steps).

Pure functions and data; wizard.aws makes the calls (account:PutAlternateContact).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from wizard.errors import FormError, InputError

# The root steps' console guidance is declared with each step in wizard.steps.
from wizard.steps import ROOT_STEPS, RootStep  # noqa: F401  (re-exported)

# --- Root password -------------------------------------------------------------------

ROOT_PASSWORD_MIN = 8
ROOT_PASSWORD_MAX = 128
# The symbols AWS lists for the root password. Other characters (space, ".", "?",
# non-ASCII letters...) are not forbidden by the documented rules, but they do not
# count toward any of the four character types.
ROOT_SYMBOLS_TEXT = "! @ # $ % ^ & * ( ) < > [ ] { } | _ + - ="
ROOT_SYMBOLS = frozenset(ROOT_SYMBOLS_TEXT.replace(" ", ""))
_CLASSES = (
    ("upper-case letters", lambda c: "A" <= c <= "Z"),
    ("lower-case letters", lambda c: "a" <= c <= "z"),
    ("numbers", lambda c: "0" <= c <= "9"),
    ("symbols", lambda c: c in ROOT_SYMBOLS),
)
# Bases of very common passwords, compared after lower-casing, undoing common letter
# substitutions and dropping leading/trailing digits and symbols ("Summer2024!").
COMMON_PASSWORDS = frozenset(
    "password passw0rd qwerty qwertyuiop letmein welcome admin administrator iloveyou "
    "monkey dragon sunshine princess football baseball master secret changeme trustno "
    "login root amazon aws summer winter spring autumn fall abc qazwsx shadow superman "
    "hello freedom whatever 123456 12345678 123456789 111111 000000".split()
)
_FORBIDDEN_WORDS = ("password", "passwort", "aws", "amazon", "root", "admin")
_KEYBOARD_RUNS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
_LEET = str.maketrans("0134578@$!", "oieastbasi")


@dataclass(frozen=True)
class PasswordCheck:
    """Result of check_root_password. Holds no part of the password."""

    ok: bool
    problems: tuple[str, ...]
    classes: int
    advice: tuple[str, ...]


def _has_sequence(text: str, size: int = 4) -> bool:
    for start in range(len(text) - size + 1):
        chunk = text[start : start + size]
        steps = {ord(b) - ord(a) for a, b in zip(chunk, chunk[1:])}
        if chunk.isalnum() and steps in ({1}, {-1}):
            return True
    return any(
        run[i : i + size] in text or run[i : i + size][::-1] in text
        for run in _KEYBOARD_RUNS
        for i in range(len(run) - size + 1)
    )


def check_root_password(
    password: str, account_name: str | None = None, email: str | None = None
) -> PasswordCheck:
    """Check a candidate root password. ``problems``: AWS's rules (length, three of the
    four character types, not the account name or email) plus our refusal of control
    characters; ``advice``: the lab's guidance against guessable passwords. Messages
    never quote the password or any part of it."""
    problems: list[str] = []
    advice: list[str] = []
    if not ROOT_PASSWORD_MIN <= len(password) <= ROOT_PASSWORD_MAX:
        problems.append(
            f"Use {ROOT_PASSWORD_MIN} to {ROOT_PASSWORD_MAX} characters "
            f"(this one has {len(password)})."
        )
    present = [name for name, test in _CLASSES if any(map(test, password))]
    if len(present) < 3:
        missing = ", ".join(name for name, _ in _CLASSES if name not in present)
        problems.append(f"Use at least three of the four character types; missing: {missing}.")
    if account_name and password == account_name:
        problems.append("The password must not be the account name.")
    if email and password.casefold() == email.strip().casefold():
        problems.append("The password must not be the account email address.")
    if _has_control(password):
        problems.append("The password contains a control character (a pasted line break?).")

    if not all(any(test(c) for _, test in _CLASSES) for c in password):
        advice.append(
            f"Only A-Z, a-z, 0-9 and {ROOT_SYMBOLS_TEXT} count toward the character types; "
            "other characters are not counted."
        )
    folded = password.casefold()
    plain = folded.translate(_LEET)
    core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", folded).translate(_LEET)
    if core in COMMON_PASSWORDS or folded in COMMON_PASSWORDS:
        advice.append("This is based on a very common password; attackers try these first.")
    if any(word in plain or word in folded for word in _FORBIDDEN_WORDS):
        advice.append('Avoid words such as "password", "aws", "amazon", "root" or "admin".')
    personal = [account_name or "", (email or "").split("@")[0]]
    if any(len(p) >= 3 and p.casefold() in folded for p in personal):
        advice.append("Do not build the password from the account name or email address.")
    if re.search(r"(.)\1\1", password):
        advice.append("Avoid repeating a character three or more times in a row.")
    if _has_sequence(folded):
        advice.append('Avoid sequences such as "1234", "abcd" or keyboard rows like "qwerty".')
    if len(password) < 16:
        advice.append("Longer is stronger: use 16 or more characters from a password manager.")
    return PasswordCheck(not problems, tuple(problems), len(present), tuple(advice))


# --- Control characters, notes -------------------------------------------------------

_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _has_control(text: str) -> bool:
    """Control, surrogate, line/paragraph separator or bidirectional-override characters."""
    return any(
        unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") or c in _BIDI for c in text
    )


def validate_note(text: str, max_len: int = 500, *, field: str = "note") -> str:
    """An operator note, stripped; may be empty. No control characters, at most
    ``max_len`` characters. Raises InputError(field=field)."""
    text = text.strip()
    if _has_control(text):
        raise InputError("Remove control characters (line breaks, tabs).", field=field)
    if len(text) > max_len:
        raise InputError(f"Keep it to {max_len} characters (now {len(text)}).", field=field)
    return text


def validate_reason(text: str, max_len: int = 500, *, field: str = "reason") -> str:
    """Like validate_note, but a reason (e.g. for skipping a step) is required."""
    text = validate_note(text, max_len, field=field)
    if not text:
        raise InputError("Give a reason.", field=field)
    return text


# --- Alternate contacts (account:PutAlternateContact) --------------------------------

CONTACT_TYPES = ("SECURITY", "OPERATIONS", "BILLING")
CONTACT_LIMITS = {"name": 64, "title": 50, "email": 254, "phone": 25}
MIN_PHONE_DIGITS = 5
# Stricter than AWS's pattern [\s]*[\w+=.#|!&-]+@[\w.-]+\.[\w]+[\s]* (every match of this
# one matches AWS's): ASCII only, no leading/trailing/double dots, a letter TLD.
_EMAIL = re.compile(
    r"(?!\.)(?!.*\.\.)[A-Za-z0-9+=.#|!&_-]{1,64}(?<!\.)"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_PHONE = re.compile(r"\+?[0-9() -]+")


class ContactFormError(FormError):
    """The contact form has errors; ``errors`` maps "name"/"title"/"email"/"phone" to
    the message for that field."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(dict(errors), "contact field")


def _contact_field(field: str, raw: str) -> str:
    value = raw.strip()
    if not value:
        raise InputError("Required.", field=field)
    if _has_control(value):
        raise InputError("Remove control characters (line breaks, tabs).", field=field)
    if len(value) > CONTACT_LIMITS[field]:
        raise InputError(f"At most {CONTACT_LIMITS[field]} characters.", field=field)
    if field == "email" and not _EMAIL.fullmatch(value):
        raise InputError("Enter an email address such as security@example.com.", field=field)
    if field == "phone" and (
        not _PHONE.fullmatch(value) or sum(c.isdigit() for c in value) < MIN_PHONE_DIGITS
    ):
        raise InputError(
            "Enter a phone number with digits, spaces, ( ) and -, optionally starting "
            "with +, e.g. +1 206 555 0100.",
            field=field,
        )
    return value


def validate_alternate_contact(
    name: str, title: str, email: str, phone: str, contact_type: str | None = None
) -> dict[str, str]:
    """PutAlternateContact parameters (Name, Title, EmailAddress, PhoneNumber, and
    AlternateContactType when ``contact_type`` is given), stripped and checked.
    Raises ContactFormError carrying one message per bad field."""
    raw = {"name": name, "title": title, "email": email, "phone": phone}
    keys = {"name": "Name", "title": "Title", "email": "EmailAddress", "phone": "PhoneNumber"}
    params: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field, value in raw.items():
        try:
            params[keys[field]] = _contact_field(field, value)
        except InputError as err:
            errors[field] = err.message
    if contact_type is not None:
        if contact_type in CONTACT_TYPES:
            params["AlternateContactType"] = contact_type
        else:
            errors["type"] = f"Contact type must be one of {', '.join(CONTACT_TYPES)}."
    if errors:
        raise ContactFormError(errors)
    return params


# --- What only root can do, and the root steps ---------------------------------------


@dataclass(frozen=True)
class RootTask:
    text: str
    assume_root: bool = False  # doable from the org's management/delegated-admin account


# From the IAM User Guide, "Tasks that require root user credentials". Changing the
# AWS Support plan is no longer listed (IAM permissions for support plans exist).
ROOT_ONLY_TASKS: tuple[RootTask, ...] = (
    RootTask("Change account settings: account email, root user password, root user access "
             "keys (the account name can also be changed with account:PutAccountName)", True),
    RootTask("Restore IAM user permissions when the only IAM administrator has locked "
             "themselves out"),
    RootTask("Activate IAM access to the Billing and Cost Management console"),
    RootTask("View certain tax invoices"),
    RootTask("Close the AWS account"),
    RootTask("Register as a seller in the Reserved Instance Marketplace"),
    RootTask("Configure an Amazon S3 bucket to enable MFA delete"),
    RootTask("Edit or delete an Amazon S3 bucket policy that denies all principals", True),
    RootTask("Edit or delete an Amazon SQS queue policy that denies all principals", True),
    RootTask("Sign up for AWS GovCloud (US)"),
    RootTask("Request AWS GovCloud (US) root user access keys from AWS Support"),
)
ASSUME_ROOT_NOTE = (
    "In an AWS Organization with centralized root access, the management account (or the "
    "IAM delegated administrator) can do the tasks marked for member accounts with "
    "sts:AssumeRoot, without member root credentials: remove or allow recovery of root "
    "credentials, and unlock S3 bucket or SQS queue policies that deny everyone."
)
