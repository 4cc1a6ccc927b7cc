"""Runs the scenarios of eligibility.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("eligibility.feature")
