"""Opening diagrams in the real modelers (bpmn-js, dmn-js) in Chromium: import warnings and the saved XML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
# The standard modelers, as bpmn.io ships them (the builds Camunda Modeler and spiff-arena's editor wrap).
STANDARD = {
    ".bpmn": ("BpmnJS", NODE_MODULES / "bpmn-js" / "dist" / "bpmn-modeler.production.min.js"),
    ".dmn": ("DmnJS", NODE_MODULES / "dmn-js" / "dist" / "dmn-modeler.production.min.js"),
}

_ROUND_TRIP = """async ([kind, xml]) => {
  const modeler = new window[kind]({ container: '#canvas' });
  try {
    const { warnings } = await modeler.importXML(xml);
    const { xml: saved } = await modeler.saveXML({ format: true });
    return { warnings: warnings.map((w) => String(w.message)), xml: saved };
  } finally {
    modeler.destroy();
  }
}"""


def standard_modeler_page(browser: Any) -> Any:
    """A blank page with bpmn-js's and dmn-js's standard Modeler builds loaded from node_modules."""
    missing = [str(path) for _kind, path in STANDARD.values() if not path.is_file()]
    assert not missing, f"run `make assets` (npm install) first: missing {missing}"
    page = browser.new_page()
    page.set_content("<div id='canvas' style='width:1400px;height:900px'></div>")
    for _kind, path in STANDARD.values():
        page.add_script_tag(path=str(path))
    return page


def round_trip(page: Any, path: Path, text: str | None = None) -> tuple[list[str], str]:
    """Imports the file into the standard modeler for its kind, then saves: (import warnings, saved XML)."""
    kind, _script = STANDARD[path.suffix]
    result = page.evaluate(_ROUND_TRIP, [kind, path.read_text(encoding="utf-8") if text is None else text])
    return list(result["warnings"]), str(result["xml"])
