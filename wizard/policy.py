"""The IAM account password policy: read, propose a CIS baseline, edit, diff, verify.

Pure functions over the dicts boto3 returns and accepts; wizard.aws makes the calls
(iam:GetAccountPasswordPolicy, iam:UpdateAccountPasswordPolicy).

"Stricter" means more protective for the account:
- MinimumPasswordLength, PasswordReusePrevention: larger is stricter (0 reuse = none).
- MaxPasswordAge: a smaller non-zero age is stricter; 0 (never expires) is the loosest.
- Every bool: True is stricter. That includes AllowUsersToChangePassword (users can
  replace a leaked password themselves) and HardExpiry: HardExpiry is operationally
  risky, so the baseline never turns it on, but turning off an existing HardExpiry is
  a weakening and is flagged like any other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

from wizard.checklist import iso, utcnow
from wizard.errors import FormError, InputError, WizardError

if TYPE_CHECKING:
    from collections.abc import Collection

    from wizard.aws import AwsAccess
    from wizard.checklist import StepRecord

NO_POLICY_TEXT = (
    "No password policy: AWS applies its default, at least 8 characters and three of four "
    "character types (upper case, lower case, numbers, symbols), not the account name or email."
)
ROOT_NOTE = (
    "The IAM password policy applies to IAM users only: it never applies to the root user "
    "(nor to access keys)."
)
LAB_EXPIRY_DAYS = 90
EXPIRY_VIEWS: tuple[tuple[str, str], ...] = (
    (
        "AWS Well-Architected lab",
        f"Rotate passwords: let them expire after {LAB_EXPIRY_DAYS} days.",
    ),
    (
        "NIST SP 800-63B",
        "Do not force periodic password changes; require a change only when there is "
        "evidence of compromise, and rely on long passwords plus MFA instead.",
    ),
)
HARD_EXPIRY_WARNING = (
    "With hard expiry, an IAM user whose password has expired cannot choose a new one at "
    "sign-in: only an administrator can unlock that user by setting a new password."
)

# What AWS enforces when the account has no password policy.
AWS_DEFAULT_MIN_LENGTH = 8
AWS_DEFAULT_MIN_CLASSES = 3
CLASS_FIELDS = (
    "RequireUppercaseCharacters",
    "RequireLowercaseCharacters",
    "RequireNumbers",
    "RequireSymbols",
)


@dataclass(frozen=True)
class FieldSpec:
    """One UpdateAccountPasswordPolicy parameter. ``default`` is what AWS sets when the
    parameter is left out. ``off_by_omission``: 0 means "off" and can only be expressed
    by leaving the parameter out (its API range starts at 1)."""

    name: str
    attr: str
    label: str
    kind: type
    default: int | bool
    low: int = 0
    high: int = 0
    larger_is_stricter: bool = True
    off_by_omission: bool = False
    unit: str = ""  # display of an int value: "{n}" and "{s}" (plural s) are filled in
    off_text: str = ""  # display of 0 when off_by_omission
    no_policy: str = "no"  # what applies when the account has no policy

    def rank(self, value: int | bool) -> float:
        """Higher rank = stricter."""
        if self.larger_is_stricter:
            return float(value)
        return -float(value) if value else -math.inf

    def display(self, value: int | bool) -> str:
        if self.kind is bool:
            return "yes" if value else "no"
        if self.off_by_omission and value == 0:
            return self.off_text
        return self.unit.format(n=value, s="" if value == 1 else "s")

    def check(self, value: Any) -> int | bool:
        """Return ``value`` if it is a valid value of this field, else raise InputError."""
        if self.kind is bool:
            if not isinstance(value, bool):
                raise InputError(f"{self.label}: choose yes or no.", field=self.name)
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{self.label}: enter a whole number.", field=self.name)
        if (self.off_by_omission and value == 0) or self.low <= value <= self.high:
            return value
        off = f", or 0 for {self.off_text}" if self.off_by_omission else ""
        raise InputError(
            f"{self.label} must be between {self.low} and {self.high}{off}.", field=self.name
        )


_CLASS_DEFAULT = "3 of 4 types (AWS default)"
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("MinimumPasswordLength", "minimum_password_length", "Minimum password length",
              int, 6, 6, 128, unit="{n} characters",
              no_policy=f"{AWS_DEFAULT_MIN_LENGTH} characters (AWS default)"),
    FieldSpec("RequireUppercaseCharacters", "require_uppercase_characters",
              "Require an upper-case letter", bool, False, no_policy=_CLASS_DEFAULT),
    FieldSpec("RequireLowercaseCharacters", "require_lowercase_characters",
              "Require a lower-case letter", bool, False, no_policy=_CLASS_DEFAULT),
    FieldSpec("RequireNumbers", "require_numbers", "Require a number", bool, False,
              no_policy=_CLASS_DEFAULT),
    FieldSpec("RequireSymbols", "require_symbols", "Require a symbol", bool, False,
              no_policy=_CLASS_DEFAULT),
    FieldSpec("PasswordReusePrevention", "password_reuse_prevention",
              "Prevent password reuse", int, 0, 1, 24, off_by_omission=True,
              unit="remember last {n}", off_text="no reuse prevention",
              no_policy="no reuse prevention"),
    FieldSpec("MaxPasswordAge", "max_password_age", "Password expiry", int, 0, 1, 1095,
              larger_is_stricter=False, off_by_omission=True, unit="{n} day{s}",
              off_text="never expires", no_policy="never expires"),
    FieldSpec("HardExpiry", "hard_expiry", "Hard expiry (admin must unlock)", bool, False),
    FieldSpec("AllowUsersToChangePassword", "allow_users_to_change_password",
              "Users may change their own password", bool, False),
)
FIELD = {spec.name: spec for spec in FIELDS}


def _spec(name: str) -> FieldSpec:
    try:
        return FIELD[name]
    except KeyError:
        raise InputError(f"Unknown password policy field {name!r}.", field=name) from None


@dataclass(frozen=True)
class Policy:
    """A complete password policy. The defaults are what UpdateAccountPasswordPolicy
    sets for omitted parameters. 0 means off for max age and reuse prevention."""

    minimum_password_length: int = 6
    require_uppercase_characters: bool = False
    require_lowercase_characters: bool = False
    require_numbers: bool = False
    require_symbols: bool = False
    password_reuse_prevention: int = 0
    max_password_age: int = 0
    hard_expiry: bool = False
    allow_users_to_change_password: bool = False

    def __post_init__(self) -> None:
        for spec in FIELDS:
            spec.check(getattr(self, spec.attr))

    def get(self, name: str) -> int | bool:
        """The value of a field by its API name."""
        return getattr(self, _spec(name).attr)

    @overload
    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Policy: ...
    @overload
    @classmethod
    def from_api(cls, data: None) -> None: ...
    @classmethod
    def from_api(cls, data: Mapping[str, Any] | None) -> Policy | None:
        """From GetAccountPasswordPolicy's response or its ``PasswordPolicy`` dict.
        None (NoSuchEntity: no policy, AWS default applies) gives None. Absent fields
        take their API default; a malformed value raises InputError naming the field."""
        if data is None:
            return None
        data = data.get("PasswordPolicy", data)
        return cls(**{spec.attr: _api_value(spec, data) for spec in FIELDS})

    def as_dict(self) -> dict[str, int | bool]:
        """Every field by API name, 0 included: for evidence and display."""
        return {spec.name: getattr(self, spec.attr) for spec in FIELDS}

    def to_api_params(self) -> dict[str, int | bool]:
        """Keyword arguments for UpdateAccountPasswordPolicy. The call replaces the whole
        policy, so every field is sent, except MaxPasswordAge and PasswordReusePrevention
        when they are 0: the API accepts only 1 and up, and omission is the only way to
        set "never expires" / "no reuse prevention"."""
        return {
            name: value
            for name, value in self.as_dict().items()
            if not (FIELD[name].off_by_omission and value == 0)
        }


def _api_value(spec: FieldSpec, data: Mapping[str, Any]) -> Any:
    return data.get(spec.name, spec.default)


BASELINE = Policy(
    minimum_password_length=14,
    require_uppercase_characters=True,
    require_lowercase_characters=True,
    require_numbers=True,
    require_symbols=True,
    password_reuse_prevention=24,
    max_password_age=0,
    hard_expiry=False,
    allow_users_to_change_password=True,
)


def propose(current: Policy | None, max_password_age: int | None = None) -> Policy:
    """The stricter of ``current`` and BASELINE for every field, so an account that is
    already stricter is never loosened. ``max_password_age`` is the operator's explicit
    expiry choice (0 = never expires); None keeps the current expiry (none without a
    policy). A choice looser than the current one shows up in weakened_fields."""
    values = {}
    for spec in FIELDS:
        base = getattr(BASELINE, spec.attr)
        now = base if current is None else getattr(current, spec.attr)
        values[spec.attr] = max(base, now, key=spec.rank)
    if max_password_age is not None:
        values["max_password_age"] = FIELD["MaxPasswordAge"].check(max_password_age)
    return Policy(**values)


_TRUE = {"yes", "y", "true", "on", "1"}
_FALSE = {"no", "n", "false", "off", "0"}


def validate_field(name: str, raw: str | bool | int) -> int | bool:
    """Parse one form value (text, or a bool from a checkbox) and check it against the
    API's limits. Only ASCII digits are numbers. Raises InputError(field=name)."""
    spec = _spec(name)
    if isinstance(raw, str):
        text = raw.strip()
        if spec.kind is bool:
            word = text.casefold()
            if word not in _TRUE | _FALSE:
                raise InputError(f"{spec.label}: choose yes or no.", field=name)
            return word in _TRUE
        if not text:
            raise InputError(f"{spec.label}: enter a number.", field=name)
        if not (text.isascii() and text.isdigit()):
            raise InputError(f"{spec.label}: use the digits 0-9 only.", field=name)
        digits = text.lstrip("0") or "0"
        raw = int(digits) if len(digits) <= 6 else spec.high + 1
    return spec.check(raw)


class PolicyFormError(FormError):
    """The form has errors; ``errors`` maps each field's API name to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(dict(errors), "password policy field")


def parse_form(values: Mapping[str, str | bool | int]) -> Policy:
    """A complete Policy from form values keyed by API name; every field is required.
    Raises PolicyFormError with one message per bad, missing or unknown field."""
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for spec in FIELDS:
        if spec.name not in values:
            errors[spec.name] = f"{spec.label}: missing."
            continue
        try:
            parsed[spec.attr] = validate_field(spec.name, values[spec.name])
        except InputError as err:
            errors[spec.name] = err.message
    for name in values:
        if name not in FIELD:
            errors[name] = f"Unknown password policy field {name!r}."
    if errors:
        raise PolicyFormError(errors)
    return Policy(**parsed)


def weakened_fields(current: Policy | None, proposed: Policy) -> list[str]:
    """API names of the fields where ``proposed`` is weaker than ``current``; these need
    the operator's explicit confirmation. Without a policy, the comparison is against
    AWS's default: a minimum length under 8, or fewer than three required character
    types (then every type left unrequired is listed)."""
    if current is None:
        weak = set()
        if proposed.minimum_password_length < AWS_DEFAULT_MIN_LENGTH:
            weak.add("MinimumPasswordLength")
        unrequired = [name for name in CLASS_FIELDS if not proposed.get(name)]
        if len(CLASS_FIELDS) - len(unrequired) < AWS_DEFAULT_MIN_CLASSES:
            weak.update(unrequired)
        return [spec.name for spec in FIELDS if spec.name in weak]
    return [
        spec.name
        for spec in FIELDS
        if spec.rank(getattr(proposed, spec.attr)) < spec.rank(getattr(current, spec.attr))
    ]


Change = Literal["same", "stricter", "weaker", "new"]


@dataclass(frozen=True)
class DiffRow:
    field: str
    label: str
    current_display: str
    proposed_display: str
    change: Change


def diff(current: Policy | None, proposed: Policy) -> list[DiffRow]:
    """Side-by-side rows, one per field in FIELDS order. Without a current policy every
    row is "new", unless it is weaker than AWS's default."""
    weak = set(weakened_fields(current, proposed))
    rows = []
    for spec in FIELDS:
        new = getattr(proposed, spec.attr)
        if spec.name in weak:
            change: Change = "weaker"
        elif current is None:
            change = "new"
        else:
            change = "same" if getattr(current, spec.attr) == new else "stricter"
        shown = spec.no_policy if current is None else spec.display(getattr(current, spec.attr))
        rows.append(DiffRow(spec.name, spec.label, shown, spec.display(new), change))
    return rows


def readback_mismatches(expected: Policy, actual_api: Mapping[str, Any] | None) -> list[str]:
    """API names of the fields whose read-back value differs from ``expected``. Takes
    GetAccountPasswordPolicy's response (or its PasswordPolicy dict); absent fields count
    as their API default (0 for MaxPasswordAge / PasswordReusePrevention). None (no
    policy found) mismatches every field."""
    if actual_api is None:
        return [spec.name for spec in FIELDS]
    data = actual_api.get("PasswordPolicy", actual_api)
    mismatches = []
    for spec in FIELDS:
        got = _api_value(spec, data)
        if type(got) is not spec.kind or got != getattr(expected, spec.attr):
            mismatches.append(spec.name)
    return mismatches


def cis_compliance(policy: Policy | None) -> list[tuple[str, bool]]:
    """The CIS AWS Foundations checks on the password policy, labelled v5.0.0 / v7.0.0."""
    length = AWS_DEFAULT_MIN_LENGTH if policy is None else policy.minimum_password_length
    reuse = 0 if policy is None else policy.password_reuse_prevention
    return [
        ("CIS 1.7 (v5) / 2.8 (v7): minimum password length of at least 14", length >= 14),
        ("CIS 1.8 (v5) / 2.9 (v7): password reuse prevention of 24", reuse >= 24),
    ]


def cis_failing(policy: Policy | None) -> list[str]:
    """The CIS checks ``policy`` fails, in cis_compliance order. Applying a policy that
    fails any needs the operator's explicit confirmation, like a weakening."""
    return [check for check, ok in cis_compliance(policy) if not ok]


# -- flow: read, apply and verify through AWS (wizard.aws makes the calls) -------------------

APPLY_SOURCE = "iam:UpdateAccountPasswordPolicy, read back with iam:GetAccountPasswordPolicy"


class ReadBackMismatch(WizardError):
    """AWS accepted the update but reads back a different policy. ``fields`` lists the API
    names that differ; ``evidence`` holds before and the read-back after."""

    def __init__(self, fields: list[str], evidence: dict[str, Any]) -> None:
        labels = ", ".join(FIELD[name].label for name in fields)
        super().__init__(
            f"The policy read back from AWS differs from the one sent in: {labels}.",
            hint="The step is not done. Reload the current policy and apply again.")
        self.fields = fields
        self.evidence = evidence


def read_policy(aws: AwsAccess) -> Policy | None:
    """The account's password policy; None when it has none (NoSuchEntity)."""
    return Policy.from_api(aws.get_password_policy())


def _read_back(actual_api: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if actual_api is None:
        return None
    return {spec.name: _api_value(spec, actual_api) for spec in FIELDS}


def _earlier_applies(previous: StepRecord | None) -> tuple[bool, Any, list[dict[str, Any]]]:
    """From the step's record in this session: (an earlier apply exists, the policy as
    first read, the applies so far in order). A record written before ``applies`` existed
    holds one apply: its ``after``, at the record's time."""
    if previous is None or "before" not in previous.evidence:
        return False, None, []
    ev = previous.evidence
    applies = ev.get("applies")
    if not isinstance(applies, list):
        applies = [{"at": previous.changed_at, "policy": ev.get("after")}] if "after" in ev else []
    return True, ev["before"], list(applies)


def apply_policy(aws: AwsAccess, proposed: Policy, current: Policy | None,
                 confirmed_weakening: Collection[str] = (), *,
                 confirmed_below_cis: Collection[str] = (),
                 previous: StepRecord | None = None) -> dict[str, Any]:
    """Replace the account's policy with ``proposed`` and verify it by reading it back.

    Refuses (InputError, nothing sent) when a field is weaker than ``current`` without
    its name in ``confirmed_weakening``, or when ``proposed`` fails a CIS check not in
    ``confirmed_below_cis``; and (WizardError) when the policy in AWS no longer equals
    ``current``: the diff the operator approved would be stale. The update sends every
    field (the call replaces the whole policy).

    ``previous`` is the step's record in this session. Returns the evidence {"before",
    "after", "read_back_matches": True, "weakened_confirmed", "cis_failing", "applies",
    "source"}: ``before`` is the policy as first read in the session (kept from
    ``previous`` once an apply happened, never overwritten); ``applies`` lists every
    apply in order as {"at", "policy"} (the policy read back). Raises ReadBackMismatch
    (with the same evidence) when the read-back differs."""
    weak = weakened_fields(current, proposed)
    unconfirmed = [name for name in weak if name not in confirmed_weakening]
    if unconfirmed:
        raise InputError(
            "Weaker than the current policy and not confirmed: "
            + ", ".join(FIELD[name].label for name in unconfirmed) + ". Nothing was changed.",
            field=unconfirmed[0], hint="Confirm the weakening explicitly, or keep the current value.")
    failing = cis_failing(proposed)
    below = [check for check in failing if check not in confirmed_below_cis]
    if below:
        raise InputError(
            "Below the CIS baseline and not confirmed: " + "; ".join(below) + ". Nothing was changed.",
            field="cis", hint="Confirm applying a policy below the CIS baseline explicitly, "
                              "or meet the checks.")
    if read_policy(aws) != current:
        raise WizardError("The password policy in AWS changed since it was read. Nothing was changed.",
                          hint="Reload the current policy, review the diff and apply again.")
    earlier, first_read, applies = _earlier_applies(previous)
    aws.update_password_policy(proposed.to_api_params())
    actual = aws.get_password_policy()
    mismatches = readback_mismatches(proposed, actual)
    after = _read_back(actual)
    evidence = {
        "before": first_read if earlier else (None if current is None else current.as_dict()),
        "after": after,
        "read_back_matches": not mismatches,
        "weakened_confirmed": weak,
        "cis_failing": failing,
        "applies": [*applies, {"at": iso(utcnow()), "policy": after}],
        "source": APPLY_SOURCE,
    }
    if mismatches:
        raise ReadBackMismatch(mismatches, evidence)
    return evidence
