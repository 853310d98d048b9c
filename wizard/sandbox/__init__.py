"""The sandbox account behind ``rootwizard --demo``.

An in-process moto server seeded as a realistically neglected AWS account: root without
MFA and with an old, active access key; about ten IAM users with and without MFA, keys of
various ages; no password policy. The app talks to it through boto3 with
``endpoint_url`` exactly as it talks to AWS.

moto's credential report, account summary and Account Management API differ from AWS,
so while a sandbox runs, a few moto handlers are patched for the sandbox's account only
(every other account keeps stock moto behaviour; wizard.sandbox.patches):

* iam:GenerateCredentialReport / GetCredentialReport: a real-format report built from
  the live moto state at generation time, with a ``<root_account>`` row; as in AWS, a
  report younger than four hours is handed back again with its original GeneratedTime.
* iam:GetAccountSummary: AccountMFAEnabled, AccountAccessKeysPresent and
  AccountPasswordPresent from the sandbox's root state.
* account:GetContactInformation / PutContactInformation (not in moto).

Root-only console actions cannot be done by API; ``Sandbox.simulate`` flips the root
state as the console would. moto is imported lazily: it is only in the ``demo`` extra.

With a state folder (``--demo``) the account's state is saved after every change and
restored on the next start (wizard.sandbox.state; never a secret).

Modules: ``server`` (the Sandbox and start_sandbox), ``seed`` (the neglected account's
data), ``patches`` (the moto handlers above), ``state`` (the saved account state).
"""

from wizard.sandbox.seed import (
    ADMIN_POLICY_ARN,
    DEMO_ACCOUNT_ID,
    OPERATOR,
    REGION,
    ROOT_MFA_DEVICE,
    AccessKeyInfo,
    RootState,
)
from wizard.sandbox.server import REPORT_REUSE, Sandbox, start_sandbox
from wizard.steps import SIMULATABLE

__all__ = ["ADMIN_POLICY_ARN", "DEMO_ACCOUNT_ID", "OPERATOR", "REGION", "ROOT_MFA_DEVICE", "SIMULATABLE",
           "REPORT_REUSE", "AccessKeyInfo", "RootState", "Sandbox", "start_sandbox"]
