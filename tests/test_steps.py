"""The step registry (wizard.steps): every table about steps is derived from it."""

from __future__ import annotations

import inspect

import pytest

from wizard import steps
from wizard.steps import STEPS, Caller, step_order


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.id)
def test_every_declared_screen_imports_and_shows_its_step(step):
    from screens.base import StepScreen

    cls = step.screen_class()
    assert issubclass(cls, StepScreen) and cls.STEP_ID == step.id


@pytest.mark.parametrize("step", [s for s in STEPS if s.verifier], ids=lambda s: s.id)
def test_every_declared_verifier_exists(step):
    fn = step.verify_function()
    assert callable(fn) and len(inspect.signature(fn).parameters) == 2  # (aws, step record)


def test_derived_tables_follow_the_registry():
    from screens.app import screen_class
    from wizard.checklist import STEP_DEFS, Checklist
    from wizard.rootchecks import ROOT_STEPS
    from wizard.sandbox import SIMULATABLE
    from wizard.verify import VERIFIERS

    ids = [s.id for s in STEPS]
    assert len(set(ids)) == len(ids)
    assert [s.id for s in STEP_DEFS] == ids
    assert list(Checklist(account_id="123456789012").steps) == ids
    assert set(VERIFIERS) == {s.id for s in STEPS if s.verifier}
    assert set(ROOT_STEPS) == {s.id for s in STEPS if s.guidance}
    assert all(ROOT_STEPS[i].id == i for i in ROOT_STEPS)
    assert set(SIMULATABLE) == {s.id for s in STEPS if s.simulation}
    assert screen_class("summary").__name__ == "SummaryScreen"


def test_order_uses_the_predicates(monkeypatch):
    normal, root = step_order(Caller()), step_order(Caller(arn="arn:aws:iam::123456789012:root"))
    assert root[-2:] == ["root_access_keys", "summary"] and sorted(normal) == sorted(root)
    # a step that does not apply to a caller is not walked (e.g. member accounts later)
    patched = tuple(s if s.id != "root_password" else
                    steps.Step(s.id, s.title, s.screen, guidance=s.guidance, applies=lambda c: not c.is_root)
                    for s in STEPS)
    monkeypatch.setattr(steps, "STEPS", patched)
    assert "root_password" in step_order(Caller())
    assert "root_password" not in step_order(Caller(arn="arn:aws:iam::123456789012:root"))
