"""Textual's own screenshots never show a revealed secret, the QR code or typed codes."""

import base64

import boto3

from conftest import settle


async def test_screenshot_masks_revealed_secret_qr_and_codes(make_app, moto_endpoint):
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_endpoint)
    iam.create_user(UserName="alice")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.goto("iam_user_mfa")
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#start").press()
        await settle(app, pilot)
        seed = screen._enrollment.seed
        screen.query_one("#reveal").press()
        screen.query_one("#code1").value = "482913"
        await settle(app, pilot)
        grouped = " ".join(seed[i:i + 4] for i in range(0, len(seed), 4))
        secret = screen.query_one("#secret")
        assert grouped in str(secret.render())  # on screen for the operator
        secret.scroll_visible(animate=False)
        await settle(app, pilot)
        visible = app.screen.find_widget(secret).region
        assert visible.area and app.screen.region.contains_region(visible)
        svg = app.export_screenshot()
        screen.query_one("#cancel").press()
        await settle(app, pilot)
    plain = svg.replace("&#160;", " ")
    assert "hidden in screenshots" in plain
    for part in [seed[i:i + 4] for i in range(0, len(seed), 4)]:
        assert part not in plain
    assert "482913" not in plain
    assert "▀" not in plain  # no QR module drawn
    assert base64.b32decode(seed)  # (the seed was a real base32 key)
