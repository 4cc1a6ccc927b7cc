"""Runs the scenarios of follow_up.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("follow_up.feature")
