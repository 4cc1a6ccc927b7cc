"""Every page at 390 px (a phone) in Chromium, as the roles that see it: no horizontal page overflow and no
serious or critical axe-core violation (axe-core injected from node_modules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.lifecycle import adopt, open_task, register
from tests.web.service import into_service
from webapp.extensions import db
from webapp.models import Case
from webapp.operations.publicity import save_case_study

from .helpers import screenshot, sign_in

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}

# axe.run's answer, reduced to what fails: serious and critical violations, with the nodes they name
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""

# Wider than the viewport: the page itself, and which elements stick out (tables scroll inside their box)
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  document.querySelectorAll("body *").forEach(el => {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && !el.closest(".table-scroll, .diagram, .visually-hidden, [hidden]")) {
      wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && el.className.baseVal === undefined ? "." + String(el.className).split(" ").join(".") : ""));
    }
  });
  return {scroll: document.documentElement.scrollWidth, width: width, wide: wide.slice(0, 8)};
}"""


@pytest.fixture
def phone(browser: Any, live: Any):
    # package.json installs it with `make test` (assets): missing means the set-up is broken, not a reason to skip
    assert AXE.exists(), f"axe-core is missing at {AXE}: run `make assets` (npm install)"
    # axe is injected by the test, so the context lets it past the Content-Security-Policy (other tests check it)
    context = browser.new_context(locale="ja-JP", viewport=PHONE, bypass_csp=True, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def world(app: Any, api_as: Any) -> dict[str, int]:
    """A case waiting for forms 1 and 2, a case in service, a case just received, a published case study."""
    staff = api_as("staff")
    forms = register(staff, "FY2025", ["CN"], "2025-07-01")
    adopt(staff, forms["id"])
    served = register(
        staff, "FY2025", ["CN", "TH"], "2025-07-01", company_name="株式会社みなと食品アンドロジスティクス"
    )
    adopt(staff, served["id"])
    into_service(api_as, served["id"], estimated="10")
    received = register(staff, "FY2025", ["VN"], "2025-07-01", company_name="東海化学工業株式会社")
    with app.app_context():
        study = {"publish": True, "industry": "精密機器", "issues": "図面の持ち出し", "support_given": "研修",
                 "measures": "誓約書"}  # fmt: skip
        save_case_study(db.session.get(Case, served["id"]), study)
        db.session.commit()
    return {
        "forms_case": forms["id"],
        "served": served["id"],
        "forms_task": open_task(staff, forms["id"], "forms_submission")["id"],
        "receipt_task": open_task(staff, received["id"], "receipt_confirmation")["id"],
        "deliver_task": open_task(staff, served["id"], "service_delivery", "CN")["id"],
        "staff_user": _user_id(app, "staff2"),
    }


def _user_id(app: Any, username: str) -> int:
    from webapp.models import User

    with app.app_context():
        return int(db.session.query(User.id).filter_by(username=username).scalar())


def pages_by_role(world: dict[str, int]) -> dict[str | None, list[str]]:
    served, forms_case = world["served"], world["forms_case"]
    return {
        None: ["/login"],
        "staff": ["/inbox/", "/inbox/?tab=all", "/applications/new", "/cases", f"/cases/{served}",
                  f"/cases/{forms_case}", f"/tasks/{world['forms_task']}", f"/tasks/{world['receipt_task']}",
                  f"/cases/{served}/hours", "/dashboard", "/reports", "/public", "/account/settings"],
        "expert_cn": ["/inbox/", f"/cases/{served}", f"/cases/{served}/hours", f"/cases/{served}/sessions",
                      f"/tasks/{world['deliver_task']}"],
        "applicant": ["/inbox/", f"/cases/{forms_case}", f"/tasks/{world['forms_task']}", "/public"],
        "admin": ["/admin/outbox", "/inbox/", "/process/", "/admin/users", "/admin/users/new",
                  f"/admin/users/{world['staff_user']}", "/process/errors/"],
        "designer": ["/process/", "/process/errors/", f"/process/errors/cases/{served}"],
    }  # fmt: skip


def check(page: Any, name: str) -> list[str]:
    """What is wrong with the page shown: overflow and serious/critical axe violations."""
    if page.locator("#case-diagram").count():
        page.wait_for_selector("#case-diagram[data-ready=true]")
    problems = []
    overflow = page.evaluate(OVERFLOW)
    if overflow["scroll"] > overflow["width"]:
        problems.append(f"{name}: page {overflow['scroll']}px wide at {overflow['width']}px: {overflow['wide']}")
    page.add_script_tag(path=str(AXE))
    for violation in page.evaluate(AXE_RUN):
        problems.append(f"{name}: axe {violation['impact']} {violation['id']} at {violation['nodes']}")
    return problems


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_page_fits_a_phone_and_has_no_serious_accessibility_violation(phone, live, world, lang):
    problems: list[str] = []
    for role, paths in pages_by_role(world).items():
        phone.context.clear_cookies()
        if role:
            sign_in(phone, live, role)
        for path in paths:
            response = phone.goto(live(path + ("&" if "?" in path else "?") + f"lang={lang}"))
            assert response is not None and response.status == 200, (role, path, response and response.status)
            phone.wait_for_load_state()
            problems += check(phone, f"{role or 'anonymous'} {path} ({lang})")
        screenshot(phone, f"phone-{role or 'anonymous'}-{lang}")
    assert not problems, "\n".join(problems)


def test_the_inbox_is_a_list_of_cards_on_a_phone(phone, live, world):
    sign_in(phone, live, "staff")
    phone.goto(live("/inbox/?tab=all"))
    rows = phone.locator("tr.task-row")
    assert rows.count() >= 3
    first = rows.first.bounding_box()
    assert first is not None and first["width"] <= PHONE["width"]
    link = rows.first.locator("a[href^='/tasks/']")
    box = link.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box  # the task link stays on screen
    menu = phone.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="受付箱")
    height = menu.bounding_box()
    assert height is not None and height["height"] < 40, height  # one line, not one character per line
    screenshot(phone, "phone-inbox")


def test_form_1s_table_scrolls_inside_its_box_on_a_laptop(browser, live, world):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        sign_in(page, live, "applicant")
        page.goto(live(f"/tasks/{world['forms_task']}"))
        box = page.locator(".table-scroll:has(table.rows-table)")
        assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"
        sizes = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert sizes[0] <= sizes[1], sizes
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")  # the table scrolls, the page does not
        box.focus()
        page.keyboard.press("ArrowRight")  # a keyboard user scrolls the focused box
        page.wait_for_function("el => el.scrollLeft > 0", arg=box.element_handle())
    finally:
        context.close()


def test_the_designers_pages_fit_a_phone_too(phone, live, world):
    sign_in(phone, live, "designer")
    phone.goto(live("/process/"))
    phone.get_by_role("button", name="新しい下書きを作成").click()
    phone.wait_for_load_state()
    phone.wait_for_selector("#process-editor[data-ready=true]")
    editor = phone.url
    problems = check(phone, "designer editor")
    for path in (f"{editor.rstrip('/')}/check", "/process/"):
        response = phone.goto(path if path.startswith("http") else live(path))
        assert response is not None and response.status == 200, path
        problems += check(phone, f"designer {path}")
    screenshot(phone, "phone-designer")
    assert not problems, "\n".join(problems)


def test_the_application_form_offers_only_the_chosen_editions_countries(browser, live, world):
    """static/application-form.js: choosing an edition hides (and disables) the other editions' countries."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live, "staff")
        page.goto(live("/applications/new"))
        assert page.locator("input[name=countries][value=TH]").is_visible()
        # as if a second edition with fewer countries were open: the script reads the mapping from the form
        page.evaluate(
            """() => { const form = document.querySelector('form[data-edition-countries]');
            form.setAttribute('data-edition-countries', JSON.stringify({FY2025: ['CN', 'TH', 'VN', 'ID'], X: ['CN']}));
            const select = form.querySelector('select[name=edition]');
            select.add(new Option('X', 'X')); select.value = 'X';
            select.dispatchEvent(new Event('change')); }"""
        )
        assert page.locator("input[name=countries][value=CN]").is_visible()
        thailand = page.locator("input[name=countries][value=TH]")
        assert not thailand.is_visible() and thailand.is_disabled()
        assert not page.locator("#sites-TH-site_type").is_visible() and page.locator("#sites-CN-site_type").is_visible()
        page.locator("select[name=edition]").select_option("FY2025")
        assert thailand.is_visible() and thailand.is_enabled()
    finally:
        context.close()
