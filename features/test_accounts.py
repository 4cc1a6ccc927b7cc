"""Runs the scenarios of accounts.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("accounts.feature")
