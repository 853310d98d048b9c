"""The password policy screen against the moto server, driven with the Pilot."""

from rich.console import Console
from textual.widgets import Button, Checkbox, Input

from conftest import open_step, settle
from test_policy_cli import (  # noqa: F401  (fixtures shared with the flow and CLI tests)
    STRICT,
    WEAK,
    denied_operator,
    drops_reuse_prevention,
    iam,
    policy_in_aws,
    seed,
)
from wizard.checklist import Status
from wizard.policy import BASELINE, FIELDS, HARD_EXPIRY_WARNING, NO_POLICY_TEXT, ROOT_NOTE


async def click(app, pilot, selector):
    app.screen.query_one(selector).scroll_visible(animate=False)
    await pilot.pause()
    await pilot.click(selector)
    await settle(app, pilot)


async def type_into(app, pilot, name, text):
    field = app.screen.query_one(f"#f-{name}", Input)
    field.value = ""
    field.focus()
    await pilot.press(*text)
    await settle(app, pilot)


def text_of(screen, selector):
    return str(screen.query_one(selector).render())


def changes(screen):
    """The Change column of the diff as shown, by field label (first line of each row)."""
    widget = screen.query_one("#diff")
    console = Console(width=widget.content_size.width, color_system=None)
    with console.capture() as capture:
        console.print(widget.content)
    lines = capture.get().splitlines()
    found = {}
    for spec in FIELDS:
        line = next(line for line in lines if line.strip().startswith(spec.label[:16]))
        found[spec.name] = next((mark for mark in ("WEAKER ⚠", "stricter", "same", "new") if mark in line), "")
    return found


def status(app):
    return app.ctx.checklist.step("password_policy")


async def test_no_policy_applies_baseline_and_records_evidence(make_app, moto_endpoint):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_step(app, pilot, "password_policy")
        assert text_of(screen, "#root-note") == ROOT_NOTE
        assert text_of(screen, "#current-summary") == NO_POLICY_TEXT
        assert screen.query_one("#f-MinimumPasswordLength", Input).value == "14"
        assert screen.query_one("#f-RequireSymbols", Checkbox).value is True
        assert set(changes(screen).values()) == {"new"}
        assert "✓ CIS 1.7" in text_of(screen, "#cis") and "current: not met" in text_of(screen, "#cis")
        await click(app, pilot, "#apply")
        rec = status(app)
        assert rec.status == Status.DONE and rec.evidence_source == "aws"
        assert rec.evidence["before"] is None and rec.evidence["after"] == BASELINE.as_dict()
        assert rec.evidence["read_back_matches"] is True
        assert "matches every field" in text_of(screen, "#result")
        assert set(changes(screen).values()) == {"same"}
    assert policy_in_aws(iam(moto_endpoint))["MinimumPasswordLength"] == 14


async def test_weaker_policy_is_raised_to_baseline(make_app, moto_endpoint):
    seed(moto_endpoint, **WEAK)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_step(app, pilot, "password_policy")
        assert screen.query_one("#f-MaxPasswordAge", Input).value == "90"  # current expiry kept
        rows = changes(screen)
        assert rows["MinimumPasswordLength"] == "stricter" and rows["MaxPasswordAge"] == "same"
        assert screen.query_one("#confirm-weakening").has_class("hidden")
        await click(app, pilot, "#apply")
        rec = status(app)
        assert rec.status == Status.DONE
        assert rec.evidence["before"]["MinimumPasswordLength"] == 8
        assert rec.evidence["after"]["MinimumPasswordLength"] == 14
    after = policy_in_aws(iam(moto_endpoint))
    assert after["PasswordReusePrevention"] == 24 and after["MaxPasswordAge"] == 90


async def test_stricter_fields_kept_and_weakening_needs_confirmation(make_app, moto_endpoint):
    seed(moto_endpoint, **STRICT)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_step(app, pilot, "password_policy")
        assert screen.query_one("#f-MinimumPasswordLength", Input).value == "20"
        assert screen.query_one("#f-MaxPasswordAge", Input).value == "60"
        assert screen.query_one("#f-HardExpiry", Checkbox).value is True
        assert text_of(screen, "#hard-expiry-warning") == HARD_EXPIRY_WARNING
        assert not screen.query_one("#hard-expiry-warning").has_class("hidden")

        await type_into(app, pilot, "MinimumPasswordLength", "16")
        assert changes(screen)["MinimumPasswordLength"] == "WEAKER ⚠"
        assert "Minimum password length" in text_of(screen, "#weaker-note")
        assert not screen.query_one("#confirm-weakening").has_class("hidden")
        await click(app, pilot, "#apply")
        assert "weaker than the current policy" in text_of(screen, "#error")
        assert status(app).status == Status.PENDING
        assert policy_in_aws(iam(moto_endpoint))["MinimumPasswordLength"] == 20

        await click(app, pilot, "#confirm-weakening")
        await click(app, pilot, "#apply")
        rec = status(app)
        assert rec.status == Status.DONE and rec.evidence["weakened_confirmed"] == ["MinimumPasswordLength"]
    after = policy_in_aws(iam(moto_endpoint))
    assert after["MinimumPasswordLength"] == 16 and after["HardExpiry"] is True


async def test_expiry_choice_and_confirmation_reset(make_app, moto_endpoint):
    seed(moto_endpoint, **STRICT)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_step(app, pilot, "password_policy")
        views = text_of(screen, "#expiry-views")
        assert "Well-Architected lab" in views and "NIST SP 800-63B" in views
        await click(app, pilot, "#expiry-nist")
        assert screen.query_one("#f-MaxPasswordAge", Input).value == "0"
        assert changes(screen)["MaxPasswordAge"] == "WEAKER ⚠"
        await click(app, pilot, "#confirm-weakening")
        assert screen.query_one("#confirm-weakening", Checkbox).value is True
        await type_into(app, pilot, "PasswordReusePrevention", "5")  # a second weaker field
        assert screen.query_one("#confirm-weakening", Checkbox).value is False
        await click(app, pilot, "#expiry-lab")
        assert screen.query_one("#f-MaxPasswordAge", Input).value == "90"
        await click(app, pilot, "#f-HardExpiry")
        assert screen.query_one("#hard-expiry-warning").has_class("hidden")


async def test_out_of_range_input_shows_field_errors_and_changes_nothing(make_app, moto_endpoint):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_step(app, pilot, "password_policy")
        await type_into(app, pilot, "MinimumPasswordLength", "5")
        await type_into(app, pilot, "PasswordReusePrevention", "25")
        await type_into(app, pilot, "MaxPasswordAge", "1096")
        assert "between 6 and 128" in text_of(screen, "#err-MinimumPasswordLength")
        assert "between 1 and 24" in text_of(screen, "#err-PasswordReusePrevention")
        assert "between 1 and 1095" in text_of(screen, "#err-MaxPasswordAge")
        assert not screen.query_one("#diff-note").has_class("hidden")
        await click(app, pilot, "#apply")
        assert "need attention" in text_of(screen, "#error")
        assert status(app).status == Status.PENDING
        await type_into(app, pilot, "MinimumPasswordLength", "14x")
        assert "digits 0-9" in text_of(screen, "#err-MinimumPasswordLength")
        await type_into(app, pilot, "MinimumPasswordLength", "128")
        assert screen.query_one("#err-MinimumPasswordLength").has_class("hidden")
    assert policy_in_aws(iam(moto_endpoint)) is None


async def test_access_denied_names_action_and_stays_retryable(make_app, denied_operator):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_step(app, pilot, "password_policy")
        await click(app, pilot, "#apply")
        error = text_of(screen, "#error")
        assert "iam:UpdateAccountPasswordPolicy" in error and "Grant" in error
        assert screen.query_one("#apply", Button).disabled is False
        assert status(app).status == Status.PENDING
    assert policy_in_aws(denied_operator) is None


async def test_read_back_mismatch_is_not_done(make_app, drops_reuse_prevention):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_step(app, pilot, "password_policy")
        await click(app, pilot, "#apply")
        assert "Prevent password reuse" in text_of(screen, "#error")
        rec = status(app)
        assert rec.status == Status.FAILED and rec.evidence["read_back_matches"] is False
        assert screen.query_one("#apply", Button).disabled is False


async def test_below_cis_needs_confirmation_and_is_labelled(make_app, moto_endpoint):
    """Issue 15 item 1: a policy below the CIS baseline is applied only when confirmed,
    naming the failing check, and the step shows and records it as below the baseline.
    A second apply keeps the policy first read as ``before``."""
    seed(moto_endpoint, MinimumPasswordLength=10, RequireNumbers=True)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_step(app, pilot, "password_policy")
        assert screen.query_one("#confirm-below-cis").has_class("hidden")
        await type_into(app, pilot, "MinimumPasswordLength", "10")
        note = text_of(screen, "#below-cis-note")
        assert "Below the CIS baseline" in note and "minimum password length of at least 14" in note
        assert not screen.query_one("#confirm-below-cis").has_class("hidden")
        await click(app, pilot, "#apply")
        assert "below the CIS baseline" in text_of(screen, "#error")
        assert status(app).status == Status.PENDING
        assert "PasswordReusePrevention" not in policy_in_aws(iam(moto_endpoint))  # nothing sent

        await click(app, pilot, "#confirm-below-cis")
        await click(app, pilot, "#apply")
        rec = status(app)
        assert rec.status == Status.DONE
        assert len(rec.evidence["cis_failing"]) == 1 and "at least 14" in rec.evidence["cis_failing"][0]
        assert "below the CIS baseline" in text_of(screen, "#result")
        assert text_of(screen, "#status-line") == "Status: done (verified), below the CIS baseline"
        assert rec.evidence["before"]["MinimumPasswordLength"] == 10
        assert rec.evidence["before"]["PasswordReusePrevention"] == 0

        await type_into(app, pilot, "MinimumPasswordLength", "14")  # now meet the baseline
        assert screen.query_one("#confirm-below-cis").has_class("hidden")
        await click(app, pilot, "#apply")
        rec = status(app)
        assert rec.status == Status.DONE and rec.evidence["cis_failing"] == []
        assert rec.evidence["before"]["PasswordReusePrevention"] == 0  # the first read, kept
        assert [a["policy"]["MinimumPasswordLength"] for a in rec.evidence["applies"]] == [10, 14]
        assert text_of(screen, "#status-line") == "Status: done (verified)"


async def test_summary_shows_a_policy_below_cis(make_app, moto_endpoint):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_step(app, pilot, "password_policy")
        app.ctx.checklist.set_status("password_policy", Status.DONE, source="aws",
                                     evidence={"cis_failing": ["CIS 1.8 (v5) / 2.9 (v7): password "
                                                               "reuse prevention of 24"]})
        app.goto("summary")
        await settle(app, pilot)
        table = app.screen.query_one("#outcomes")
        assert str(table.get_cell("password_policy", table.ordered_columns[1].key)) == \
            "done (verified), below the CIS baseline"


async def test_applied_message_goes_when_the_form_changes(make_app, moto_endpoint):
    """"Applied and verified" describes the form as applied: an edit since removes it (issue 17)."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_step(app, pilot, "password_policy")
        await pilot.press("f2")  # Apply and verify
        await settle(app, pilot)
        assert "Applied and verified" in text_of(screen, "#result")
        await type_into(app, pilot, "MinimumPasswordLength", "10")  # weaker, not applied
        assert text_of(screen, "#result") == ""


async def test_a_refusal_brings_the_view_to_what_needs_the_operator(make_app, moto_endpoint):
    """Issue 17: Apply refused at the bottom of the form (weaker, not confirmed): the
    confirmation gets the focus and is in view, not only a message at the top; once the
    operator ticks it (the form changed), the refusal goes."""
    seed(moto_endpoint, **STRICT)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_step(app, pilot, "password_policy")
        await type_into(app, pilot, "MinimumPasswordLength", "16")  # weaker than STRICT's 20
        screen.query_one("#body").scroll_end(animate=False)
        await pilot.press("f2")  # Apply and verify
        await settle(app, pilot)
        assert "weaker than the current policy" in text_of(screen, "#error")
        box = screen.query_one("#confirm-weakening", Checkbox)
        assert app.focused is box
        await pilot.pause()
        assert screen.query_one("#body").region.contains_region(box.region)  # in view
        await pilot.press("space")  # tick it
        await settle(app, pilot)
        assert box.value is True and screen.query_one("#error").has_class("hidden")
        await type_into(app, pilot, "MinimumPasswordLength", "200")  # out of range
        await pilot.press("f2")
        await settle(app, pilot)
        assert app.focused is screen.query_one("#f-MinimumPasswordLength")
        assert "need attention" in text_of(screen, "#error")
