"""Runs the scenarios of forms.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("forms.feature")
