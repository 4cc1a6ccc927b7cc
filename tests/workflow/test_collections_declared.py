"""A multi-instance's collections are declared where the standard modeler (bpmn-js) can resolve them, so what it
saves keeps loopDataInputRef/loopDataOutputRef; deploy refuses a diagram that would lose them."""

from __future__ import annotations

import pytest

from workflows.engine import ProcessDefinitionError, parse_definition

from .support import DMN_FILES, FORM_KEYS, PROCESS_ID

DECLARED = '<bpmn:property id="countries" name="countries"/>'


@pytest.mark.parametrize(
    "replacement",
    [(DECLARED, ""), (DECLARED, '<bpmn:property id="country_list" name="countries"/>')],
    ids=["missing", "other-id"],
)
def test_an_undeclared_collection_is_refused_naming_the_multi_instance(edited_bpmn, replacement):
    with pytest.raises(ProcessDefinitionError) as info:
        parse_definition(PROCESS_ID, [edited_bpmn(replacement)], DMN_FILES, FORM_KEYS)
    error = info.value
    assert (error.code, error.element, error.detail) == (
        "undeclared_collection",
        "CheckSiteEligibility",
        "countries",
    )  # the first of the two that read it


def test_a_collection_declared_as_a_data_object_is_accepted(edited_bpmn):
    mi = '<bpmn:callActivity id="CountrySupport"'
    path = edited_bpmn((DECLARED, ""), (mi, '<bpmn:dataObject id="countries" name="countries"/>' + mi))
    definition = parse_definition(PROCESS_ID, [path], DMN_FILES, FORM_KEYS)
    assert "CountrySupport" in definition.spec.task_specs
