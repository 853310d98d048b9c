import base64
import logging

import pytest

from wizard.redact import (
    MASK,
    forget_secrets,
    redact,
    register_secret,
    safe_params,
    secret_forms,
    setup_log_file,
)

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def _clean():
    forget_secrets()
    yield
    forget_secrets()
    logging.getLogger("rootwizard").handlers.clear()


def test_secret_forms_cover_every_encoding():
    forms = secret_forms(SEED)
    key = base64.b32decode(SEED)
    for f in (SEED, SEED.lower(), " ".join(SEED[i:i + 4] for i in range(0, len(SEED), 4)), key.hex(),
              base64.b64encode(key).decode(), base64.b64encode(SEED.encode()).decode()):
        assert f in forms


def test_registered_secrets_are_removed_from_text():
    register_secret(SEED)
    register_secret("123456")
    text = f"seed {SEED.lower()} hex {base64.b32decode(SEED).hex()} code 123456"
    out = redact(text)
    assert SEED.lower() not in out and "123456" not in out and out.count(MASK) == 3


def test_aws_secret_key_shape_is_redacted_without_registration():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert secret not in redact(f"SecretAccessKey={secret}")


def test_safe_params_masks_secret_names():
    p = safe_params({"UserName": "alice", "AuthenticationCode1": "123456", "Password": "x", "SerialNumber": "s"})
    assert p == {"UserName": "alice", "AuthenticationCode1": MASK, "Password": MASK, "SerialNumber": "s"}


def test_log_file_is_private_and_redacted(tmp_path):
    path = tmp_path / "debug.log"
    setup_log_file(str(path))
    register_secret(SEED)
    log = logging.getLogger("rootwizard.test")
    log.info("created device with %s", SEED)
    try:
        raise ValueError(f"boom {SEED}")
    except ValueError:
        log.exception("failure")
    for h in logging.getLogger("rootwizard").handlers:
        h.flush()
    text = path.read_text()
    assert "created device with" in text and "boom" in text
    assert SEED not in text and SEED.lower() not in text
    assert (path.stat().st_mode & 0o777) == 0o600
