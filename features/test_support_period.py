"""Runs the scenarios of support_period.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("support_period.feature")
