"""Runs the scenarios of publicity.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("publicity.feature")
