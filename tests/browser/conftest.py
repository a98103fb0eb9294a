"""Real Chromium (Debian's package) driven by Playwright against pytest-django's live server."""

import os
import time

import pyotp
import pytest

from clinic.models import TOTPDevice

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it
# are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Fails (never skips) when Chromium is missing: `make test` installs it.
    assert os.path.exists(CHROMIUM), "Chromium is missing: run `make browser` (as root)"
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def sign_in(page, live_server, username: str, password: str = "correct-horse-battery"):
    """Password, then the authenticator code (enrolling on a first sign-in), like a person."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/accounts/second-factor/" not in page.url:
        return  # a refused password stays on the sign-in page
    enrolling = page.locator("#totp-secret").count() > 0
    page.get_by_label("6-digit code from the app").fill(authenticator_code(username))
    page.get_by_role("button", name="Continue").click()
    if enrolling:
        page.get_by_role("link", name="I have kept them — continue").click()


def authenticator_code(username: str) -> str:
    """What the user's authenticator app shows: a code for a step the server has not used yet
    (two sign-ins within 30 seconds take the next step's code, which the server also accepts)."""
    device = TOTPDevice.objects.get(user__username=username)
    step = max(int(time.time() // 30), device.last_step + 1)
    return pyotp.TOTP(device.secret).at(step * 30)


@pytest.fixture(autouse=True)
def _no_content_security_policy_violations(request):
    """Every browser test also proves its pages run under the CSP (no inline script or style)."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and violations.append(message.text)
        ),
    )
    yield
    _leave_and_let_the_server_finish(page)
    assert not violations, violations


def _leave_and_let_the_server_finish(page, *, within: float = 10) -> None:
    """Leave the page (its pagehide save goes out as a keepalive request), then wait until the
    live server's requests are done, so the database is not emptied under one of them (a
    flush racing an autosave deadlocks)."""
    from django.db import connection

    page.goto("about:blank")
    deadline = time.monotonic() + within
    quiet_since = time.monotonic()
    with connection.cursor() as cursor:
        # Quiet for half a second: a keepalive request may still be on its way to the server.
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 0.5:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
                if connection.vendor == "postgresql"
                else "SELECT 0"
            )
            if cursor.fetchone()[0]:
                quiet_since = time.monotonic()
            time.sleep(0.05)


def tap_shape(shape, *, touch: bool = False) -> None:
    """Click (or with `touch`, tap) a body-chart outline where a finger would: at the point
    inside it the chart gives (data-x/data-y, 0-1 on the view), not its box's centre, which a
    crescent does not cover."""
    svg = shape.locator("xpath=ancestor::*[local-name()='svg'][1]")
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    x, y = float(shape.get_attribute("data-x")), float(shape.get_attribute("data-y"))
    at = {"x": x * box["width"], "y": y * box["height"]}
    if touch:
        svg.tap(position=at)
    else:
        svg.click(position=at)
