"""One WTForms form per user-task form key, plus the application and hours-ledger forms.

Forms never touch a database: they turn posted input into JSON-safe task data and hand uploads back.
"""

from forms.application import ApplicationForm
from forms.base import TaskContext, TaskForm
from forms.hours import ACTIVITY_KINDS, COUNTED_ACTIVITIES, HoursEntryForm
from forms.registry import FORM_CLASSES, build_form, describe_form

__all__ = [
    "ACTIVITY_KINDS",
    "COUNTED_ACTIVITIES",
    "FORM_CLASSES",
    "ApplicationForm",
    "HoursEntryForm",
    "TaskContext",
    "TaskForm",
    "build_form",
    "describe_form",
]
