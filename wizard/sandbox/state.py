"""The sandbox account's state as a JSON document: taken from the running sandbox
(moto's IAM and Account backends plus the sandbox's own root, contact and report state)
and put back into a new one, so that a resumed ``--demo`` session finds the account as
it left it.

Kept: users (path, creation, whether a console password exists and when it was set and
last used), access key IDs with status, dates and last use, MFA device serials and
their assignment, signing certificates (public), groups and attached policies, the
password policy, root's state, the contact information, alternate contacts, and the
last credential report (a CSV without secrets) with its GeneratedTime.

Never kept: MFA seeds (a restored virtual device gets a new random seed nobody has;
moto accepts any codes), passwords (a restored console password is a new random one),
access key secrets (a restored key gets a new random secret, held in memory only).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wizard.errors import SessionError

if TYPE_CHECKING:
    from wizard.sandbox import Sandbox

STATE_VERSION = 1
_POLICY_FIELDS = {  # GetAccountPasswordPolicy name -> moto AccountPasswordPolicy attribute
    "MinimumPasswordLength": "minimum_password_length",
    "RequireSymbols": "require_symbols",
    "RequireNumbers": "require_numbers",
    "RequireUppercaseCharacters": "require_uppercase_characters",
    "RequireLowercaseCharacters": "require_lowercase_characters",
    "AllowUsersToChangePassword": "allow_users_to_change_password",
    "MaxPasswordAge": "max_password_age",
    "PasswordReusePrevention": "password_reuse_prevention",
    "HardExpiry": "hard_expiry",
}
_CONTACT_FIELDS = ("title", "name", "email_address", "phone_number")


def _t(dt: datetime | None) -> str | None:
    """A datetime (moto's are naive UTC) as ISO 8601 UTC."""
    if dt is None:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _at(text: str) -> datetime:
    """A saved time (ISO 8601) as an aware UTC datetime; TypeError/ValueError when absent
    or malformed (restore() reports the damaged entry)."""
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _aware(text: str | None) -> datetime | None:
    return None if text is None else _at(text)


def _moto_at(text: str) -> datetime:
    """A saved time as moto keeps it: naive UTC."""
    return _at(text).astimezone(UTC).replace(tzinfo=None)


def _naive(text: str | None) -> datetime | None:
    return None if text is None else _moto_at(text)


# ---- taking the state --------------------------------------------------------------------


def _key_doc(key: Any) -> dict[str, Any]:
    used = key.last_used
    stamp = getattr(used, "timestamp", used)
    return {"id": key.access_key_id, "active": key.status == "Active", "created": _t(key.create_date),
            "last_used": _t(stamp), "last_used_service": getattr(used, "service", None),
            "last_used_region": getattr(used, "region", None)}


def _user_doc(sandbox: Sandbox, user: Any) -> dict[str, Any]:
    changed = sandbox._password_changed(user) if user.password else None
    return {
        "name": user.name, "path": user.path, "created": _t(user.create_date),
        "console": bool(user.password), "password_changed": _t(changed),
        "password_last_used": _t(user.password_last_used),
        "access_keys": [_key_doc(k) for k in user.access_keys],
        "mfa_devices": [{"serial": serial, "enabled": _t(device.enable_date)}
                        for serial, device in user.mfa_devices.items()],
        "signing_certificates": [{"id": c.id, "body": c.body, "active": c.status == "Active",
                                  "uploaded": _t(c.upload_date)} for c in user.signing_certificates.values()],
        "managed_policies": sorted(p.arn for p in user.managed_policies.values()),
        "inline_policies": dict(user.policies),
    }


def snapshot(sandbox: Sandbox) -> dict[str, Any]:
    """The account's state now, as a JSON-ready document (no secret in it). Call with the
    sandbox's lock held so that no request changes the backend meanwhile."""
    backend = sandbox._backend()
    root = sandbox._root
    policy = backend.account_password_policy
    root_serial = _root_mfa_serial(sandbox)
    devices = []
    for serial, device in backend.virtual_mfa_devices.items():
        if serial == root_serial:
            continue
        user = device.user if device.user is not None and hasattr(device.user, "name") else None
        devices.append({"serial": serial, "user": user.name if user else None,
                        "enabled": _t(device.enable_date)})
    report = sandbox._report
    return {
        "sandbox_state_version": STATE_VERSION,
        "account_id": sandbox.account_id,
        "saved_at": _t(sandbox.now().replace(microsecond=0)),
        "root": {
            "created": _t(root.created), "mfa_enabled": root.mfa_enabled,
            "mfa_enabled_at": _t(getattr(backend.virtual_mfa_devices.get(root_serial), "enable_date", None)),
            "password_present": root.password_present,
            "password_last_used": _t(root.password_last_used),
            "password_last_changed": _t(root.password_last_changed),
            "access_keys": [{"id": k.access_key_id, "active": k.active, "created": _t(k.created),
                             "last_used": _t(k.last_used_date), "last_used_service": k.last_used_service,
                             "last_used_region": k.last_used_region} for k in root.access_keys],
        },
        "contact": dict(sandbox._contact),
        "alternate_contacts": {kind: {f: getattr(c, f) for f in _CONTACT_FIELDS}
                               for kind, c in _account_backend(sandbox)._alternate_contacts.items()},
        "password_policy": None if policy is None else
        {name: getattr(policy, attr) for name, attr in _POLICY_FIELDS.items()},
        "groups": [{"name": g.name, "path": g.path,
                    "managed_policies": sorted(p.arn for p in g.managed_policies.values()),
                    "inline_policies": dict(g.policies), "members": [u.name for u in g.users]}
                   for g in backend.groups.values()],
        "users": [_user_doc(sandbox, u) for u in backend.users.values()],
        "virtual_mfa_devices": devices,
        "credential_report": None if report is None else
        {"generated_time": _t(report[1]), "content": report[0]},
    }


def _root_mfa_serial(sandbox: Sandbox) -> str:
    from wizard.sandbox import ROOT_MFA_DEVICE

    return f"arn:aws:iam::{sandbox.account_id}:mfa/{ROOT_MFA_DEVICE}"


def _account_backend(sandbox: Sandbox) -> Any:
    from moto.account.models import account_backends

    return account_backends[sandbox.account_id]["aws"]


# ---- putting it back ---------------------------------------------------------------------


def check(doc: Any, account_id: str) -> dict[str, Any]:
    """``doc`` if it is a sandbox state this version can restore for ``account_id``; else
    SessionError saying why (the caller starts a fresh sandbox and says so)."""
    if not isinstance(doc, dict) or "sandbox_state_version" not in doc:
        raise SessionError("The saved sandbox state is not a rootwizard sandbox state.")
    version = doc["sandbox_state_version"]
    if not isinstance(version, int) or version > STATE_VERSION or version < 1:
        raise SessionError(f"The saved sandbox state has version {version!r}; this rootwizard "
                           f"reads version {STATE_VERSION}.")
    if doc.get("account_id") != account_id:
        raise SessionError(f"The saved sandbox state is for account {doc.get('account_id')!r}, "
                           f"not {account_id}.")
    return doc


def restore(sandbox: Sandbox, doc: dict[str, Any]) -> None:
    """Rebuild the account of ``doc`` in a freshly served sandbox (instead of seeding it).
    Raises SessionError (KeyError/TypeError/ValueError inside) for a damaged document."""
    try:
        _restore(sandbox, doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SessionError(f"The saved sandbox state has an invalid entry ({type(exc).__name__}: "
                           f"{exc}).") from None


def _rekey(backend: Any, key: Any, key_id: str) -> None:
    del backend.access_keys[key.access_key_id]
    key.access_key_id = key_id
    backend.access_keys[key_id] = key


def _restore(sandbox: Sandbox, doc: dict[str, Any]) -> None:
    from moto.iam.models import AccessKeyLastUsed, MFADevice, VirtualMfaDevice

    from wizard.sandbox import OPERATOR, REGION, AccessKeyInfo, RootState

    backend = sandbox._backend()
    sandbox._install_managed_policies()
    for g in doc["groups"]:
        backend.create_group(g["name"], g["path"])
        for arn in g["managed_policies"]:
            backend.attach_group_policy(arn, g["name"])
        for name, document in g["inline_policies"].items():
            backend.put_group_policy(g["name"], name, document)
    for u in doc["users"]:
        user = backend.create_user(REGION, u["name"], u["path"])
        user.create_date = _moto_at(u["created"])
        if u["console"]:
            backend.create_login_profile(u["name"], secrets.token_urlsafe(24) + "!Aa1")
            sandbox._passwords[u["name"]] = (user.password or "", _at(u["password_changed"]))
        user.password_last_used = _naive(u["password_last_used"])
        for k in u["access_keys"]:
            key = backend.create_access_key(u["name"], status="Active" if k["active"] else "Inactive")
            _rekey(backend, key, k["id"])
            key.create_date = _moto_at(k["created"])
            if k["last_used"]:
                key.last_used = AccessKeyLastUsed(_moto_at(k["last_used"]), k["last_used_service"],
                                                  k["last_used_region"])
            if u["name"] == OPERATOR and k["active"] and not sandbox.access_key_id:
                sandbox.access_key_id, sandbox.secret_access_key = key.access_key_id, key.secret_access_key
        for c in u["signing_certificates"]:
            cert = backend.upload_signing_certificate(u["name"], c["body"])
            del user.signing_certificates[cert.id]
            cert.id, cert.status, cert.upload_date = c["id"], "Active" if c["active"] else "Inactive", \
                _moto_at(c["uploaded"])
            user.signing_certificates[cert.id] = cert
        for arn in u["managed_policies"]:
            backend.attach_user_policy(arn, u["name"])
        for name, document in u["inline_policies"].items():
            backend.put_user_policy(u["name"], name, document)
        for m in u["mfa_devices"]:  # hardware or virtual: the user's list of serials
            assigned = MFADevice(m["serial"], "", "")
            assigned.enable_date = _moto_at(m["enabled"])
            user.mfa_devices[m["serial"]] = assigned
    for g in doc["groups"]:
        for member in g["members"]:
            backend.add_user_to_group(g["name"], member)
    for d in doc["virtual_mfa_devices"]:
        virtual = VirtualMfaDevice(sandbox.account_id, REGION, "/restored")  # a new seed, never the old
        virtual.serial_number = d["serial"]
        virtual.enable_date = _naive(d["enabled"])
        if d["user"] is not None:
            owner = backend.get_user(d["user"])
            virtual.user = owner
            virtual.user_attribute = {"Path": owner.path, "UserName": owner.name, "UserId": owner.id,
                                      "Arn": owner.arn, "CreateDate": owner.create_date}
        backend.virtual_mfa_devices[d["serial"]] = virtual
    policy = doc["password_policy"]
    if policy is not None:
        backend.update_account_password_policy(
            policy["AllowUsersToChangePassword"], policy["HardExpiry"], policy["MaxPasswordAge"],
            policy["MinimumPasswordLength"], policy["PasswordReusePrevention"],
            policy["RequireLowercaseCharacters"], policy["RequireNumbers"], policy["RequireSymbols"],
            policy["RequireUppercaseCharacters"])
    accounts = _account_backend(sandbox)
    for kind, c in doc["alternate_contacts"].items():
        accounts.put_alternate_contact(kind, c["email_address"], c["name"], c["phone_number"], c["title"])
    r = doc["root"]
    sandbox._root = RootState(
        created=_at(r["created"]), mfa_enabled=bool(r["mfa_enabled"]),
        password_present=bool(r["password_present"]), password_last_used=_aware(r["password_last_used"]),
        password_last_changed=_aware(r["password_last_changed"]),
        access_keys=[AccessKeyInfo(k["id"], bool(k["active"]), _at(k["created"]), _aware(k["last_used"]),
                                   k["last_used_region"], k["last_used_service"]) for k in r["access_keys"]])
    if sandbox._root.mfa_enabled:
        sandbox._assign_root_mfa(_aware(r["mfa_enabled_at"]) or sandbox.now())
    sandbox._contact = dict(doc["contact"])
    report = doc["credential_report"]
    if report is not None:
        sandbox._report = (str(report["content"]), _at(report["generated_time"]))
    if not sandbox.access_key_id:
        raise ValueError(f"no active access key for the sandbox operator {OPERATOR}")


# ---- keeping it up to date ----------------------------------------------------------------

_READ_PREFIXES = ("Get", "List")


def changes_state(environ: dict[str, Any], body: bytes) -> bool:
    """Whether a request to the sandbox may change the account: every IAM/STS action but
    Get*/List* (GenerateCredentialReport included), every Account API call but get*."""
    from urllib.parse import parse_qs

    path = environ.get("PATH_INFO", "")
    if path not in ("", "/"):  # REST-JSON (Account Management): /getContactInformation, …
        return not path.rsplit("/", 1)[-1].startswith(("get", "list"))
    params = parse_qs(environ.get("QUERY_STRING", "")) | parse_qs(body.decode("utf-8", "replace"))
    action = (params.get("Action") or [""])[0]
    return not action.startswith(_READ_PREFIXES)


def saving_app(app: Any, sandbox: Sandbox) -> Any:
    """The sandbox server's WSGI app, one request at a time under the sandbox's lock, and
    the state saved after each request that may have changed it."""
    import io

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        with sandbox._lock:
            result = list(app(environ, start_response))
            if changes_state(environ, body):
                sandbox.save_state()
        return result

    return wsgi
