"""Form key -> form class, and the two entry points the web app and the JSON API use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from forms.application import ApplicationForm
from forms.base import TaskContext, TaskForm
from forms.expert import ExpertBriefingForm, FollowUpForm, ServiceDeliveryForm
from forms.hours import HoursEntryForm
from forms.sessions import ServiceSessionForm
from forms.staff import (
    AdoptionDecisionForm,
    HearingForm,
    PlanConfirmationForm,
    PublicityForm,
    ReceiptConfirmationForm,
)
from forms.submission import FormsSubmissionForm

FORM_CLASSES: dict[str, type[TaskForm]] = {
    "receipt_confirmation": ReceiptConfirmationForm,
    "hearing": HearingForm,
    "adoption_decision": AdoptionDecisionForm,
    "forms_submission": FormsSubmissionForm,
    "expert_briefing": ExpertBriefingForm,
    "plan_confirmation": PlanConfirmationForm,
    "service_delivery": ServiceDeliveryForm,
    "follow_up": FollowUpForm,
    "publicity": PublicityForm,
    "application": ApplicationForm,
    "hours_entry": HoursEntryForm,
    "service_session": ServiceSessionForm,
}


def build_form(
    form_key: str,
    *,
    context: TaskContext,
    formdata: Any = None,
    data: Mapping[str, Any] | None = None,
    csrf: bool = True,
) -> TaskForm:
    """The form for a key (KeyError if unknown).

    formdata=None lets Flask-WTF read the current request (form fields and files) when it is a POST;
    csrf=True keeps the app's WTF_CSRF_ENABLED setting, csrf=False turns the check off (the token-based API).
    """
    form_class = FORM_CLASSES[form_key]
    kwargs: dict[str, Any] = {"context": context, "data": dict(data or {})}
    if formdata is not None:
        kwargs["formdata"] = formdata
    if not csrf:
        kwargs["meta"] = {"csrf": False}
    return form_class(**kwargs)


def describe_form(form_key: str, context: TaskContext) -> list[dict[str, Any]]:
    return FORM_CLASSES[form_key].field_descriptions(context)
