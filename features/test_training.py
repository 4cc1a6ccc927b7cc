"""Runs the scenarios of training.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("training.feature")
