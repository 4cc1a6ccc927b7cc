"""様式1・様式2: the company's submission after adoption (or JETRO's on its behalf)."""

from __future__ import annotations

from pytest_bdd import step

from features.steps import R
from features.support import PDF, World, role_user, shown


def submit_forms(world: World, role: str, payload: dict) -> None:
    task = world.require_task("forms_submission")
    world.complete(role_user(role), task["id"], payload)


@step(R("{役割}として、様式1だけを添付して提出する"))
def submit_form1_only(world: World, role: str) -> None:
    submit_forms(world, role, {"form1_file": PDF})


@step(R("{役割}として、(?:企業に代わって)?様式1と様式2を添付して提出(?:する|しようとする)"))
def submit_both(world: World, role: str) -> None:
    submit_forms(world, role, {"form1_file": PDF, "form2_file": PDF})


@step("提出は受け付けられる")
def submission_accepted(world: World) -> None:
    response = world.response
    assert response.status_code == 200, f"様式1・様式2の提出は受け付けられるべき。実際: {shown(response)}"
    assert world.open_task("forms_submission") is None
