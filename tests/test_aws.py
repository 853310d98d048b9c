"""The AWS access layer: error translation, retries config, clock check, report polling."""

from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ReadTimeoutError
from botocore.stub import Stubber
from moto import mock_aws

from wizard import errors
from wizard.aws import AwsAccess, ConnectionSettings, clock_warning, translate


def _client_error(code, msg="m", status=400):
    return ClientError({"Error": {"Code": code, "Message": msg}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "Op")


@pytest.mark.parametrize("code,cls", [
    ("ExpiredToken", errors.ExpiredCredentialsError),
    ("InvalidClientTokenId", errors.ExpiredCredentialsError),
    ("AccessDenied", errors.AccessDeniedError),
    ("Throttling", errors.ThrottledError),
    ("NoSuchEntity", errors.NotFoundError),
    ("EntityAlreadyExists", errors.AlreadyExistsError),
    ("LimitExceeded", errors.LimitExceededError),
    ("ReportInProgress", errors.ReportNotReadyError),
    ("ReportNotPresent", errors.ReportNotReadyError),
    ("InvalidAuthenticationCode", errors.InvalidCodeError),
    ("SomethingNew", errors.AwsError),
])
def test_client_errors_translate(code, cls):
    err = translate(_client_error(code), "iam", "UpdateAccountPasswordPolicy")
    assert type(err) is cls
    assert err.code == code and err.action == "iam:UpdateAccountPasswordPolicy"


def test_access_denied_names_the_action():
    err = translate(_client_error("AccessDenied"), "iam", "UpdateAccountPasswordPolicy")
    assert "iam:UpdateAccountPasswordPolicy" in str(err)


def test_transport_errors_translate():
    assert isinstance(translate(NoCredentialsError(), "sts", "GetCallerIdentity"), errors.NoCredentialsError)
    assert isinstance(translate(EndpointConnectionError(endpoint_url="http://x"), "sts", "X"), errors.EndpointError)
    assert isinstance(translate(ReadTimeoutError(endpoint_url="http://x"), "sts", "X"), errors.EndpointError)
    assert isinstance(translate(RuntimeError("boom"), "sts", "X"), errors.AwsError)


def test_unreachable_endpoint_is_a_clear_error():
    aws = AwsAccess(ConnectionSettings(endpoint_url="http://127.0.0.1:9", region="us-east-1",
                                       access_key_id="a", secret_access_key="b", max_attempts=1,
                                       connect_timeout=1, read_timeout=1))
    with pytest.raises(errors.EndpointError, match="Cannot reach"):
        aws.identity()


def test_identity_and_clock_skew(aws_env):
    with mock_aws():
        aws = AwsAccess(ConnectionSettings(region="us-east-1"))
        ident = aws.identity()
        assert ident.account_id == "123456789012" and not ident.is_root
        skew = aws.clock_skew()
        assert skew is not None and abs(skew) < 30
        assert aws.calls == ["sts:GetCallerIdentity"]


def test_clock_warning_threshold():
    assert clock_warning(None) is None
    assert clock_warning(30.0) is None
    assert "ahead" in clock_warning(31.0)
    assert "behind" in clock_warning(-45.0)


def test_report_polling_backs_off_and_times_out(aws_env):
    aws = AwsAccess(ConnectionSettings(region="us-east-1", access_key_id="a", secret_access_key="b"))
    client = aws._client("iam")
    sleeps = []
    now = [0.0]

    def sleep(s):
        sleeps.append(s)
        now[0] += s

    with Stubber(client) as stub:
        for _ in range(7):
            stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
        with pytest.raises(errors.ReportNotReadyError, match="did not complete"):
            aws.fetch_credential_report(timeout_s=30, sleep=sleep, clock=lambda: now[0])
    assert sleeps == sorted(sleeps) and sleeps[0] < sleeps[-1] and max(sleeps) <= 8


def test_report_fetch_after_limit_exceeded(aws_env):
    aws = AwsAccess(ConnectionSettings(region="us-east-1", access_key_id="a", secret_access_key="b"))
    client = aws._client("iam")
    gen = datetime(2026, 11, 24, tzinfo=timezone.utc)
    with Stubber(client) as stub:
        stub.add_client_error("generate_credential_report", "LimitExceeded")
        stub.add_response("generate_credential_report", {"State": "COMPLETE"})
        stub.add_response("get_credential_report", {"Content": b"user,arn\n", "ReportFormat": "text/csv",
                                                    "GeneratedTime": gen})
        content, when = aws.fetch_credential_report(timeout_s=30, sleep=lambda s: None)
    assert content == b"user,arn\n" and when == gen


def test_virtual_mfa_listing_drops_seeds(aws_env):
    with mock_aws():
        aws = AwsAccess(ConnectionSettings(region="us-east-1"))
        serial, seed = aws.create_virtual_mfa_device("dev1")
        listed = aws.list_virtual_mfa_devices("Unassigned")
        assert [d["SerialNumber"] for d in listed] == [serial]
        assert "Base32StringSeed" not in listed[0] and "QRCodePNG" not in listed[0]


def test_param_validation_error_never_quotes_the_value():
    from botocore.exceptions import ParamValidationError

    exc = ParamValidationError(report="Invalid type for parameter AuthenticationCode1, value: 123456, type: int")
    err = translate(exc, "iam", "EnableMFADevice")
    assert isinstance(err, errors.InputError)
    assert "AuthenticationCode1" in str(err) and "123456" not in str(err)


def test_action_names_use_the_api_spelling(aws_env):
    with mock_aws():
        aws = AwsAccess(ConnectionSettings(region="us-east-1"))
        aws.list_virtual_mfa_devices()
        with pytest.raises(errors.NotFoundError) as exc:
            aws.list_mfa_devices("nobody")
        assert aws.calls == ["iam:ListVirtualMFADevices", "iam:ListMFADevices"]  # failed calls count too
        assert exc.value.action == "iam:ListMFADevices"


def test_sessions_share_one_botocore_loader_and_parse_a_model_once(monkeypatch):
    """Every session the process makes shares one botocore data loader: a service model
    or endpoint rule file is parsed once per process (about 0.15 s for the wizard's four
    services), and boto3's data folder is on its search path once however many sessions."""
    import botocore.loaders

    from wizard import aws

    first = aws.boto3_session(region_name="us-east-1")
    first.client("iam", endpoint_url="http://127.0.0.1:9")
    loader = first._session.get_component("data_loader")
    paths = list(loader.search_paths)
    read = []
    original = botocore.loaders.JSONFileLoader.load_file
    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file",
                        lambda self, path: read.append(path) or original(self, path))
    for _ in range(3):
        again = aws.boto3_session(aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x",
                                  region_name="eu-west-1")
        again.client("iam", endpoint_url="http://127.0.0.1:9")
        assert again._session.get_component("data_loader") is loader
    assert read == [] and loader.search_paths == paths
    assert again.region_name == "eu-west-1" and again.get_credentials().access_key == "AKIAEXAMPLE"
