"""Runs the scenarios of task_notices.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("task_notices.feature")
