from wizard.checklist import Checklist, Status, step_order


def test_root_caller_orders_root_keys_last():
    normal = step_order(False)
    root = step_order(True)
    assert normal.index("root_access_keys") < normal.index("root_password")
    assert root[-2:] == ["root_access_keys", "summary"]
    assert sorted(normal) == sorted(root)


def test_next_open_and_progress():
    cl = Checklist(account_id="123456789012", caller_arn="arn:aws:iam::123456789012:root")
    assert cl.caller_is_root
    cl.set_status("connect", Status.DONE)
    assert cl.next_open() == "credential_report"
    cl.set_status("credential_report", Status.WAITING)
    assert cl.next_open() == "credential_report"  # waiting is not closed
    assert cl.progress() == (1, 11)
    back = Checklist.from_json(cl.to_json())
    assert back.to_json() == cl.to_json()


def test_verdict_never_claims_what_nobody_said_was_done():
    from wizard.checklist import verdict

    assert verdict(Status.PENDING, True) == (Status.DONE, "")
    assert verdict(Status.PENDING, False) == (None, "")
    assert verdict(Status.SKIPPED, False) == (None, "")
    assert verdict(Status.WAITING, False) == (Status.WAITING, "")
    status, error = verdict(Status.DONE, False)
    assert status == Status.PENDING and "no longer shows" in error
