"""Runs the scenarios of briefing.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("briefing.feature")
