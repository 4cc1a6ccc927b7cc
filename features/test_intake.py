"""Runs the scenarios of intake.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("intake.feature")
