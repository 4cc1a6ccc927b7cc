"""Runs the scenarios of case_lifecycle.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("case_lifecycle.feature")
