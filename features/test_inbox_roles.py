"""Runs the scenarios of inbox_roles.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("inbox_roles.feature")
