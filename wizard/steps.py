"""The step registry: every step of the wizard is declared here once.

A step has an id, a title, the screen that shows it ("screens.module:Class", imported
only when opened), its API verifier if any ("wizard.verify:function"), the console
guidance of a root step, the sandbox's simulated console action if any, and two
predicates on the caller: whether the step applies, and whether it goes last (just
before the summary). The checklist order (wizard.checklist), the screen table
(screens.app), the verifier table (wizard.verify), the root-step guidance
(wizard.rootchecks.ROOT_STEPS) and the sandbox's SIMULATABLE set are derived from STEPS.
A step may also close as verified "not applicable" (``not_applicable_when``, a predicate
on what AWS shows, e.g. a root user without credentials).

Adding a step: declare it here, write its flow in one wizard/ module and its screen in
screens/, and test both. Pure data: nothing here imports boto3 or Textual.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

SECURITY_CREDENTIALS_URL = "https://console.aws.amazon.com/iam/home#/security_credentials"
ACCOUNT_URL = "https://console.aws.amazon.com/billing/home#/account"


@dataclass(frozen=True)
class RootCredentials:
    """What iam:GetAccountSummary shows of the root user's credentials (1 present, 0 not,
    None when the answer has no such key: moto, or an endpoint that omits it)."""

    password: int | None
    access_keys: int | None
    signing_certificates: int | None
    read_at: str  # ISO time of the read

    @property
    def none(self) -> bool:
        """True only when AWS shows all three absent (centralized root access removed them,
        or a member account created without them)."""
        return self.password == 0 and self.access_keys == 0 and self.signing_certificates == 0

    def evidence(self) -> dict[str, Any]:
        return {"AccountPasswordPresent": self.password, "AccountAccessKeysPresent": self.access_keys,
                "AccountSigningCertificatesPresent": self.signing_certificates,
                "source": "iam:GetAccountSummary", "read_at": self.read_at}


@dataclass(frozen=True)
class Caller:
    """What the registry's predicates know about the account and the caller."""

    account_id: str = ""
    arn: str = ""
    root_credentials: RootCredentials | None = None  # when read (connect, a verification)

    @property
    def is_root(self) -> bool:
        return self.arn.endswith(":root")

    @classmethod
    def root(cls, is_root: bool) -> Caller:
        """A caller that is (or is not) the root user, for order questions alone."""
        return cls(arn="arn:aws:iam::000000000000:root" if is_root else "")


@dataclass(frozen=True)
class Guidance:
    """How a root step is done in the console and how its result is seen."""

    title: str
    why: str
    console_path: str
    link: str
    actions: tuple[str, ...]
    verified_by: Literal["api", "operator"]
    verify_api: str = ""  # the API that proves the step, when verified_by == "api"
    cis: str = ""
    retired: bool = False
    id: str = ""          # filled in from the step that holds it


RootStep = Guidance  # the name the root-step modules use


def always(_caller: Caller) -> bool:
    return True


def never(_caller: Caller) -> bool:
    return False


def caller_is_root(caller: Caller) -> bool:
    return caller.is_root


def root_has_no_credentials(caller: Caller) -> bool:
    """The root steps have nothing to act on: AWS shows no root password, access key or
    signing certificate (unknown when not read)."""
    return caller.root_credentials is not None and caller.root_credentials.none


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    screen: str                                     # "screens.module:Class"
    verifier: str | None = None                     # "wizard.verify:function"
    guidance: Guidance | None = None                # root steps: the console guidance
    simulation: str | None = None                   # sandbox: what F6 simulates
    help: str = ""                                  # what the step does and why (F1), when no guidance says it
    applies: Callable[[Caller], bool] = field(default=always, compare=False)
    last_for: Callable[[Caller], bool] = field(default=never, compare=False)  # goes last for this caller
    # Closes the step as verified "not applicable" when true (read from AWS: see wizard.verify.check).
    not_applicable_when: Callable[[Caller], bool] | None = field(default=None, compare=False)
    sandbox_actions: tuple[str, ...] = ()           # sandbox: more simulations F6 offers (SANDBOX_ACTIONS)

    def __post_init__(self) -> None:
        if self.guidance is not None and self.guidance.id != self.id:
            object.__setattr__(self, "guidance", replace(self.guidance, id=self.id))

    def screen_class(self) -> type:
        return _load(self.screen)

    def verify_function(self) -> Callable[..., Any] | None:
        return _load(self.verifier) if self.verifier else None


# Sandbox simulations that are not a step's own console action, by id (Sandbox.simulate
# takes these and the step ids of SIMULATABLE); a step lists the ones F6 offers on it.
REMOVE_ROOT_CREDENTIALS = "remove_root_credentials"
SANDBOX_ACTIONS: dict[str, tuple[str, str]] = {  # id -> (short name, what it simulates)
    REMOVE_ROOT_CREDENTIALS: (
        "Remove all root credentials",
        "simulate centralized root access: the organization's management account removes the "
        "root password, access keys, signing certificates and MFA (no root sign-in)"),
}


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


STEPS: tuple[Step, ...] = (
    Step(
        "connect", "Connect to the account", "screens.connect:ConnectScreen",
        help="Asks AWS who the credentials belong to (sts:GetCallerIdentity), checks the "
             "computer's clock against AWS's (MFA codes depend on it), then opens this "
             "account's saved session or starts one. Nothing in the account is changed.",
    ),
    Step(
        "credential_report", "Credential report", "screens.report:ReportScreen",
        help="Has AWS generate the IAM credential report, downloads it and lists what it "
             "shows, most severe first: root access keys, users without MFA, old or unused "
             "keys. The findings say which step fixes each one; the completion record keeps "
             "them as the account was before the wizard changed anything.",
    ),
    Step(
        "password_policy", "IAM password policy", "screens.policy:PolicyScreen",
        verifier="wizard.verify:password_policy",
        help="Reads the account's IAM password policy, proposes the CIS baseline without "
             "loosening anything, shows the difference field by field, applies it "
             "(iam:UpdateAccountPasswordPolicy replaces the whole policy) and reads it back. "
             "It applies to IAM users' console passwords, not to the root user.",
    ),
    Step(
        "contact_info", "Account contact and recovery information", "screens.contact_info:ContactInfoScreen",
        guidance=Guidance(
            "Keep the account contact information current",
            "AWS uses the account contact details to reach you about security and billing. "
            "If root MFA is lost, root sign-in is recovered through the account email and "
            "phone, so they must be current and reachable before MFA is enabled.",
            "Account menu (top right) → Account → Contact information → Edit", ACCOUNT_URL,
            ("Check the full name, address and phone number (phone in +country format).",
             "Make sure the account email address is a monitored mailbox you control.",
             "Save, then confirm the phone and mailbox can receive messages."),
            "api", "account:GetContactInformation", "CIS 1.1 (v5) / 2.2 (v7)",
        ),
        simulation="simulate the console action: review the account contact information",
    ),
    Step(
        "root_mfa", "Root user MFA", "screens.root_mfa:RootMfaScreen",
        verifier="wizard.verify:root_mfa",
        guidance=Guidance(
            "Protect the root user with MFA",
            "AWS now requires MFA for the root user of every account type: after 35 days of "
            "skipping the prompt, console sign-in stops until a device is registered. MFA "
            "keeps a leaked root password from opening the account.",
            "Account menu (top right) → Security credentials → Multi-factor authentication "
            "(MFA) → Assign MFA device", SECURITY_CREDENTIALS_URL,
            ("First make sure the account email and phone are reachable (used to recover "
             "root sign-in if the device is lost).",
             "Sign in as the root user and assign an MFA device with a clear name.",
             "Prefer a passkey or security key (phishing-resistant); an authenticator app "
             "also works.",
             "Register a second device (up to eight) and keep it in a safe place."),
            "api", "iam:GetAccountSummary (AccountMFAEnabled = 1)",
            "CIS 1.4 (v5) / 2.5 (v7); hardware MFA 1.5 (v5) / 2.6 (v7)",
        ),
        simulation="simulate the console action: assign a virtual MFA device to root",
        not_applicable_when=root_has_no_credentials,
        sandbox_actions=(REMOVE_ROOT_CREDENTIALS,),
    ),
    Step(
        "root_access_keys", "Root access keys", "screens.root_keys:RootKeysScreen",
        verifier="wizard.verify:root_access_keys",
        guidance=Guidance(
            "Delete root access keys",
            "Root access keys give unrestricted API access to the whole account and are not "
            "protected by MFA. Nothing should need them; delete them rather than deactivate.",
            "Account menu (top right) → Security credentials → Access keys → Actions → Delete",
            SECURITY_CREDENTIALS_URL,
            ("Check the last-used date of each root key and move anything that uses it to "
             "an IAM role.",
             "Deactivate, confirm nothing breaks, then delete each root access key.",
             "If this wizard itself runs on root access keys, deleting them ends its session: "
             "restart it with IAM credentials."),
            "api", "iam:GetAccountSummary (AccountAccessKeysPresent = 0)", "CIS 1.3 (v5) / 2.4 (v7)",
        ),
        simulation="simulate the console action: delete the root user's access keys",
        not_applicable_when=root_has_no_credentials,
        sandbox_actions=(REMOVE_ROOT_CREDENTIALS,),
        last_for=caller_is_root,
    ),
    Step(
        "root_password", "Root password", "screens.root_password:RootPasswordScreen",
        guidance=Guidance(
            "Set a strong, unique root password",
            "The root user can do anything in the account, and the IAM password policy does "
            "not apply to it. Use a long, random password used nowhere else, kept in a "
            "password manager.",
            "Account menu (top right) → Account → Account details → Actions → Update email "
            "address and password → Password → Edit", ACCOUNT_URL,
            ("Generate a random password of 16 or more characters in a password manager.",
             "Sign in as the root user and change the password on the console page.",
             "Store it where only the people responsible for the account can reach it."),
            "operator",
        ),
        simulation="simulate the console action: change the root password",
        not_applicable_when=root_has_no_credentials,
        sandbox_actions=(REMOVE_ROOT_CREDENTIALS,),
    ),
    Step(
        "alternate_contacts", "Alternate contacts", "screens.contacts:AlternateContactsScreen",
        verifier="wizard.verify:alternate_contacts",
        guidance=Guidance(
            "Register alternate contacts, security first",
            "AWS sends security notices to the security contact, and operations and billing "
            "notices to theirs, not only to the root email. A team mailbox keeps these from "
            "being missed when one person is away.",
            "Account menu (top right) → Account → Alternate contacts → Edit", ACCOUNT_URL,
            ("Enter the security contact (a monitored team address).",
             "Enter the operations and billing contacts.",
             "Save; the wizard can also set them with account:PutAlternateContact."),
            "api", "account:GetAlternateContact", "CIS 1.2 (v5) / 2.3 (v7)",
        ),
        ),
    Step(
        "security_questions", "Security challenge questions", "screens.security_questions:SecurityQuestionsScreen",
        guidance=Guidance(
            "Security challenge questions (retired by AWS)",
            "AWS stopped supporting security challenge questions on 5 January 2024 for "
            "accounts that had not already set them up, and removed the option from the "
            "Account page. CIS dropped the recommendation in v5.",
            "None: the option was removed from the Account page",
            "https://aws.amazon.com/about-aws/whats-new/2024/01/"
            "aws-accounts-discontinues-security-challenge-questions/",
            ("Nothing to set: keep the account email and phone current instead.",),
            "operator", "", "CIS 1.3 (v3, v4); dropped in v5", retired=True,
        ),
        ),
    Step(
        "root_usage", "Root usage and root-only tasks", "screens.root_usage:RootUsageScreen",
        guidance=Guidance(
            "Stop using the root user for daily work",
            "The root user cannot be limited by IAM policies, so every use is a risk. Use it "
            "only for the few tasks that need it, and watch for any other use.",
            "IAM console → Credential report → Download credentials report",
            "https://console.aws.amazon.com/iam/home#/credential_report",
            ("Create IAM Identity Center users or IAM roles for administration.",
             "Check the root row of the credential report for recent password or key use.",
             "Use root only for the tasks that require it."),
            "api", "iam:GetCredentialReport (<root_account> password_last_used)",
            "CIS 1.6 (v5) / 2.7 (v7)",
        ),
        ),
    Step(
        "iam_user_mfa", "Virtual MFA for an IAM user", "screens.iam_mfa:IamMfaScreen",
        verifier="wizard.verify:iam_user_mfa",
        help="Gives an IAM user a virtual MFA device: the wizard creates it, draws its QR "
             "code for the authenticator app, checks two consecutive codes and enables it, "
             "then sees it with iam:ListMFADevices. A password without MFA is one phishing "
             "message away from the account. Without users, it can create the first "
             "administrator, each action confirmed first.",
    ),
    Step(
        "summary", "Summary and completion record", "screens.summary:SummaryScreen",
        help="Every step's outcome as recorded (verified by AWS, confirmed by you, skipped "
             "with a reason), and the export of the completion record: JSON with a SHA-256 "
             "of its body, or Markdown for an audit file.",
    ),
)
STEPS_BY_ID: dict[str, Step] = {s.id: s for s in STEPS}
FINAL_STEP = "summary"

# -- derived tables ----------------------------------------------------------------------
ROOT_STEPS: dict[str, Guidance] = {s.id: s.guidance for s in STEPS if s.guidance is not None}
SIMULATABLE: dict[str, str] = {s.id: s.simulation for s in STEPS if s.simulation}


def simulations(step_id: str) -> list[tuple[str, str, str]]:
    """What F6 offers on a step in the sandbox, as (action, short name, label): the step's
    own console action first, then the sandbox actions it lists."""
    step = STEPS_BY_ID.get(step_id)
    if step is None:
        return []
    own = [(step.id, "Console action", step.simulation)] if step.simulation else []
    return own + [(a, *SANDBOX_ACTIONS[a]) for a in step.sandbox_actions]


def step_order(caller: Caller) -> list[str]:
    """Step ids in walking order for this caller: the steps that apply, in declared
    order, with the ones that go last for this caller moved to just before the summary
    (e.g. root access keys when the wizard runs on them: deleting them ends its session)."""
    steps = [s for s in STEPS if s.id != FINAL_STEP and s.applies(caller)]
    first = [s.id for s in steps if not s.last_for(caller)]
    last = [s.id for s in steps if s.last_for(caller)]
    return first + last + [FINAL_STEP]
