"""moto patches, active while at least one sandbox runs, for the sandbox's accounts only
(every other account keeps stock moto behaviour):

* iam:GenerateCredentialReport / GetCredentialReport: a real-format report built from
  the live moto state at generation time, with a ``<root_account>`` row.
* iam:GetAccountSummary: AccountMFAEnabled, AccountAccessKeysPresent and
  AccountPasswordPresent from the sandbox's root state.
* account:GetContactInformation / PutContactInformation (not in moto).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wizard.sandbox.server import Sandbox

ACTIVE: dict[str, Sandbox] = {}  # account id -> its running sandbox
REGISTRY_LOCK = threading.Lock()
_SAVED: dict[str, tuple[type, Any]] = {}  # method name -> (class, stock function or None)
_CONTACT_PATHS = ("{0}/getContactInformation$", "{0}/putContactInformation$")
_added_paths: list[str] = []


def _iam_generate_credential_report(self: Any) -> Any:
    from moto.core.responses import ActionResult

    sandbox = ACTIVE.get(self.current_account)
    if sandbox is None:
        return _original(self, "generate_credential_report")
    return ActionResult(sandbox._generate_report())


def _iam_get_credential_report(self: Any) -> Any:
    from moto.core.responses import ActionResult

    sandbox = ACTIVE.get(self.current_account)
    if sandbox is None:
        return _original(self, "get_credential_report")
    return ActionResult(sandbox._get_report())


def _iam_get_account_summary(self: Any) -> Any:
    from moto.core.responses import ActionResult

    sandbox = ACTIVE.get(self.current_account)
    if sandbox is None:
        return _original(self, "get_account_summary")
    return ActionResult({"SummaryMap": sandbox._summary(self.backend.get_account_summary().summary_map)})


def _contact_sandbox(response: Any, action: str) -> Sandbox:
    sandbox = ACTIVE.get(response._get_param("AccountId") or response.current_account)
    if sandbox is None:  # as stock moto answers
        raise NotImplementedError(f"The {action} action has not been implemented")
    return sandbox


def _account_get_contact_information(self: Any) -> Any:
    from moto.core.responses import ActionResult

    sandbox = _contact_sandbox(self, "GetContactInformation")
    with sandbox._lock:
        return ActionResult({"ContactInformation": dict(sandbox._contact)})


def _account_put_contact_information(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    sandbox = _contact_sandbox(self, "PutContactInformation")
    with sandbox._lock:
        sandbox._contact = dict(self._get_param("ContactInformation") or {})
    return EmptyResult()


def _original(response: Any, name: str) -> Any:
    return _SAVED[name][1](response)


def install() -> None:
    from moto.account import urls as account_urls
    from moto.account.responses import AccountResponse
    from moto.iam.responses import IamResponse

    patches = {
        (IamResponse, "generate_credential_report"): _iam_generate_credential_report,
        (IamResponse, "get_credential_report"): _iam_get_credential_report,
        (IamResponse, "get_account_summary"): _iam_get_account_summary,
        (AccountResponse, "get_contact_information"): _account_get_contact_information,
        (AccountResponse, "put_contact_information"): _account_put_contact_information,
    }
    for (cls, name), func in patches.items():
        _SAVED[name] = (cls, cls.__dict__.get(name))
        setattr(cls, name, func)
    for path in _CONTACT_PATHS:
        if path not in account_urls.url_paths:
            account_urls.url_paths[path] = AccountResponse.dispatch
            _added_paths.append(path)


def remove() -> None:
    from moto.account import urls as account_urls

    for name, (cls, original) in _SAVED.items():
        if original is None:
            delattr(cls, name)
        else:
            setattr(cls, name, original)
    _SAVED.clear()
    for path in _added_paths:
        account_urls.url_paths.pop(path, None)
    _added_paths.clear()


