"""Runs the scenarios of service_hours.feature (the step definitions are in features/steps/)."""

from pytest_bdd import scenarios

scenarios("service_hours.feature")
