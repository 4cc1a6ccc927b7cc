"""Runs the scenarios of process_versions.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("process_versions.feature")
