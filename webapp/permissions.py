"""Who may see and do what: one place for the access rules, re-checked on every submit."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from .models import Case, CaseCountry, HumanTask, Role, User

ALL_CASES_ROLES = {Role.STAFF, Role.ADMIN}


def can_view_case(user: User, case: Case) -> bool:
    if user.role in ALL_CASES_ROLES:
        return True
    if user.role == Role.EXPERT:
        return bool(set(case.country_codes) & set(user.countries))
    if user.role == Role.APPLICANT:
        return user.company_id is not None and case.company_id == user.company_id
    return False


def can_act_on_task(user: User, task: HumanTask) -> bool:
    """Staff act on staff tasks and, on the company's behalf, on applicant tasks."""
    if user.role == Role.STAFF:
        return task.role in (Role.STAFF, Role.APPLICANT)
    if user.role == Role.EXPERT:
        return task.role == Role.EXPERT and task.country in user.countries
    if user.role == Role.APPLICANT:
        return task.role == Role.APPLICANT and task.case.company_id == user.company_id
    return False


def acts_on_behalf(user: User, task: HumanTask) -> bool:
    return user.role == Role.STAFF and task.role == Role.APPLICANT


def can_log_hours(user: User, case: Case, country: str) -> bool:
    return user.role == Role.EXPERT and country in user.countries and country in case.country_codes


def can_register_application(user: User) -> bool:
    return user.role == Role.STAFF


def can_deploy(user: User) -> bool:
    return user.role in (Role.DESIGNER, Role.ADMIN)


def visible_tasks_clause(user: User) -> ColumnElement[bool]:
    """The human_task rows a user may see (for inbox queries)."""
    if user.role in ALL_CASES_ROLES:
        return true()
    if user.role == Role.EXPERT:
        return and_(HumanTask.role == Role.EXPERT.value, HumanTask.country.in_(user.countries))
    if user.role == Role.APPLICANT:
        company_cases = select(Case.id).where(Case.company_id == user.company_id)
        return and_(HumanTask.role == Role.APPLICANT.value, HumanTask.case_id.in_(company_cases))
    return false()


def visible_cases_clause(user: User) -> ColumnElement[bool]:
    if user.role in ALL_CASES_ROLES:
        return true()
    if user.role == Role.EXPERT:
        in_countries = select(CaseCountry.case_id).where(CaseCountry.country.in_(user.countries))
        return Case.id.in_(in_countries)
    if user.role == Role.APPLICANT:
        return Case.company_id == user.company_id if user.company_id else false()
    return false()


def actionable_tasks_clause(user: User) -> ColumnElement[bool]:
    """Rows the user could claim or complete (their role's queue)."""
    if user.role == Role.STAFF:
        return or_(HumanTask.role == Role.STAFF.value, HumanTask.role == Role.APPLICANT.value)
    if user.role in (Role.EXPERT, Role.APPLICANT):
        return visible_tasks_clause(user)
    return false()
