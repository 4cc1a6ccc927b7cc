"""Runs the scenarios of adoption.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("adoption.feature")
