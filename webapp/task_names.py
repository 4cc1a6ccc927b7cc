"""A task's name and instructions in the page's language: the diagram's Japanese, or the English of the task
catalogue (workflows/task_catalogue.py) for its BPMN element id; country codes in instructions read as names."""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from forms.choices import _english
from workflows.task_catalogue import task_text

from .models import HumanTask

_instructions_env = SandboxedEnvironment(autoescape=False)


def task_title(task: HumanTask) -> str:
    english = task_text(task.element_id).name_en if _english() else ""
    return english or task.title


def task_instructions(task: HumanTask, diagram_text: str, data: dict[str, Any]) -> str:
    """The instructions rendered with the step's data; {{ country }} is the country's name (「中国の支援について」),
    not its code. A template that does not render is shown as written."""
    from .views.cases import country_label

    english = task_text(task.element_id).instructions_en if _english() else ""
    template = english or diagram_text
    context = dict(data)
    country = task.country or data.get("country")
    if isinstance(country, str) and country:
        context["country"] = str(country_label(task.edition, country))
        context["country_code"] = country
    try:
        return _instructions_env.from_string(template).render(context).strip()
    except TemplateError:
        return template.strip()
