"""実施状況報告: what the office reports to METI per edition and country (the Excel workbook staff download)."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from pytest_bdd import step

from features.steps import R
from features.support import COUNTRIES, COUNTRY_NAMES, EDITIONS, World
from tests.fixtures import PASSWORD

HOURS_SECTION = "3. 支援時間（国別、時間）"


def report_rows(world: World, edition: str) -> list[tuple]:
    client = world.app.test_client()
    assert client.post("/login", data={"username": "staff", "password": PASSWORD}).status_code == 302
    response = client.get("/reports/excel", query_string={"edition": edition})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


@step(R("{年度}の実施状況報告では、{国}の支援時間は{数}時間、出張は(?P<travel>\\d+(?:\\.\\d+)?)時間と報告される"))
def reported_hours(world: World, edition: str, country: str, number: str, travel: str) -> None:
    rows = report_rows(world, EDITIONS[edition])
    start = next(i for i, row in enumerate(rows) if row[0] == HOURS_SECTION)
    name = COUNTRY_NAMES[COUNTRIES[country]]
    line = next(row for row in rows[start + 2 :] if row[0] == name)
    assert (line[1], line[2]) == (float(number), float(travel)), (
        f"規則違反: 出張の時間は支援時間に含めず、別に報告するはず。実際: 支援時間 {line[1]}、出張 {line[2]}"
    )
