"""Issue 19, in the single-account wizard: connect tells whether the account is
standalone, an organization's management account or a member (DescribeOrganization);
"not in an organization" and AccessDenied are normal answers, and no failure of this read
blocks connecting. (The domain read, wizard.organizations.describe_account_org, is tested
in test_organizations.py.)"""

from __future__ import annotations

import boto3
import pytest
from textual.widgets import Button

from conftest import settle
from wizard.checklist import Status
from wizard.errors import AwsError, ThrottledError
from wizard.organizations import OrgPosition
from wizard.verify import root_credentials_from

ACCOUNT = "123456789012"
ROOT_STEPS = ("root_mfa", "root_access_keys", "root_password")


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


# --- connect in the TUI ------------------------------------------------------------------------


async def test_sandbox_is_a_standalone_account(make_app):
    from wizard.sandbox import start_sandbox

    app = make_app(sandbox=start_sandbox())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "a standalone account (not in an organization)" in text(app, "#account-position")
        assert app.screen.query_one("#org-view").has_class("hidden")
        ev = app.ctx.checklist.step("connect").evidence
        assert ev["organization"]["kind"] == "standalone"
        assert ev["organization_source"] == "organizations:DescribeOrganization"


async def test_management_account_is_offered_the_org_mode(make_app, moto_endpoint):
    boto3.client("organizations", endpoint_url=moto_endpoint, region_name="us-east-1").create_organization(
        FeatureSet="ALL")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        shown = text(app, "#account-position")
        assert "the management account of organization o-" in shown
        assert "handled centrally" in shown and "rootwizard --org" in shown
        assert app.ctx.checklist.step("connect").evidence["organization"]["kind"] == "management"
        assert "organizations:DescribeOrganization" in app.ctx.aws.calls
        offer = app.screen.query_one("#org-view", Button)
        assert not offer.has_class("hidden")
        await pilot.click("#org-view")
        await pilot.pause()
    from screens.app import OPEN_ORG_VIEW

    assert app.return_value == OPEN_ORG_VIEW


def test_the_cli_opens_the_org_view_when_connect_asks(monkeypatch, tmp_path):
    """`rootwizard`: when the operator chose the organization view at connect, the org view
    runs next, with the same connection settings."""
    from screens.app import OPEN_ORG_VIEW, RootWizardApp
    from screens.org import OrgApp
    from wizard import cli

    ran = []
    monkeypatch.setattr(RootWizardApp, "run", lambda self: ran.append("wizard") or OPEN_ORG_VIEW)
    monkeypatch.setattr(OrgApp, "run", lambda self: ran.append(("org", self.session.demo)))
    assert cli.main(["--state-dir", str(tmp_path)]) == 0
    assert ran == ["wizard", ("org", False)]


async def test_member_without_root_credentials(make_app, monkeypatch):
    member = OrgPosition("member", ACCOUNT, organization_id="o-exampleorg1", management_account_id="999988887777",
                         all_features=True)
    monkeypatch.setattr("wizard.organizations.describe_account_org", lambda aws, account_id: member)
    monkeypatch.setattr("wizard.context.read_root_credentials", lambda aws: root_credentials_from(
        {"AccountPasswordPresent": 0, "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0}))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        shown = text(app, "#account-position")
        assert "a member account of organization o-exampleorg1 (management account 999988887777)" in shown
        assert "as centralized root access leaves a member account" in shown
        for sid in ROOT_STEPS:
            assert app.ctx.checklist.step(sid).status == Status.NOT_APPLICABLE


@pytest.mark.parametrize("error", [ThrottledError("AWS is throttling organizations:DescribeOrganization."),
                                   AwsError("AWS error ServiceException on organizations:DescribeOrganization"),
                                   KeyError("Organization")])
async def test_a_failed_org_read_never_blocks_connecting(make_app, monkeypatch, error):
    def fail(aws, account_id):
        raise error

    monkeypatch.setattr("wizard.organizations.describe_account_org", fail)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.ctx.checklist.step("connect").status == Status.DONE
        assert not app.screen.query_one("#continue", Button).disabled
        assert "AWS Organizations: not known" in text(app, "#account-position")
        assert (error.message if isinstance(error, AwsError) else "unexpected KeyError") \
            in text(app, "#account-position")
        assert "organization" not in app.ctx.checklist.step("connect").evidence
        assert app.screen.query_one("#error").has_class("hidden")


async def test_access_denied_is_a_normal_answer(make_app, moto_endpoint, monkeypatch):
    from wizard import organizations

    real = organizations.AwsAccess.call

    def denied(self, service, operation, **params):
        if service == "organizations":
            from botocore.exceptions import ClientError

            from wizard.aws import translate
            raise translate(ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                                        "DescribeOrganization"), service, "DescribeOrganization")
        return real(self, service, operation, **params)

    monkeypatch.setattr(organizations.AwsAccess, "call", denied)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        shown = text(app, "#account-position")
        assert "not known (organizations:DescribeOrganization is not allowed for this caller)" in shown
        assert "normal answer" in shown
        assert app.ctx.checklist.step("connect").evidence["organization"]["kind"] == "unknown"
