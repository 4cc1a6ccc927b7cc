"""Who may see and do what: one place for the access rules, re-checked on every submit."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, literal, or_, select, true

from .models import Case, CaseCountry, HoursEntry, HumanTask, Role, SavedFilter, User

ALL_CASES_ROLES = {Role.STAFF, Role.ADMIN}
CASE_PAGE_ROLES = {*ALL_CASES_ROLES, Role.EXPERT, Role.APPLICANT}
INBOX_ROLES = CASE_PAGE_ROLES


def can_open_case_pages(user: User) -> bool:
    """The case list and case pages (which cases, is can_view_case's rule)."""
    return user.role in CASE_PAGE_ROLES


def can_use_inbox(user: User) -> bool:
    return user.role in INBOX_ROLES


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


def can_reassign(user: User) -> bool:
    """A staff lead hands tasks to others."""
    return user.role == Role.STAFF and user.is_lead


def can_log_hours(user: User, case: Case, country: str) -> bool:
    return user.role == Role.EXPERT and country in user.countries and country in case.country_codes


def can_correct_entry(user: User, entry: HoursEntry) -> bool:
    """An expert corrects (reverses) only their own entries, for a country they still cover."""
    return user.role == Role.EXPERT and entry.expert_id == user.id and entry.country in user.countries


def ledger_countries(user: User, case: Case) -> tuple[str, ...]:
    """The case's countries whose hours ledger (entries, notes, balance, history) the user may read.

    Experts read only their own countries, even on a case shared with another country's expert."""
    if not can_view_case(user, case):
        return ()
    if user.role == Role.EXPERT:
        return tuple(code for code in case.country_codes if code in user.countries)
    return tuple(case.country_codes)


def can_see_saved_filter(user: User, saved: SavedFilter) -> bool:
    """One's own filters, and shared ones whose owner sees the same tasks (see _scope_peers_clause)."""
    if saved.owner_id == user.id:
        return True
    return saved.shared and _same_scope(user, saved.owner)


def _same_scope(user: User, other: User) -> bool:
    if user.role in ALL_CASES_ROLES:
        return other.role in ALL_CASES_ROLES
    if user.role == Role.EXPERT:
        return other.role == Role.EXPERT and bool(set(user.countries) & set(other.countries))
    if user.role == Role.APPLICANT:
        return other.role == Role.APPLICANT and user.company_id is not None and other.company_id == user.company_id
    return False


def saved_filters_clause(user: User) -> ColumnElement[bool]:
    """The saved_filter rows a user may list and apply: the SQL form of can_see_saved_filter."""
    peers = select(User.id).where(_scope_peers_clause(user))
    return or_(SavedFilter.owner_id == user.id, and_(SavedFilter.shared.is_(True), SavedFilter.owner_id.in_(peers)))


def _scope_peers_clause(user: User) -> ColumnElement[bool]:
    """Users whose shared filters show this user nothing they could not see: staff and admins together,
    experts with a country in common, applicants of the same company."""
    if user.role in ALL_CASES_ROLES:
        return User.role.in_([r.value for r in ALL_CASES_ROLES])
    if user.role == Role.EXPERT and user.countries:
        padded = literal(",") + User.countries_csv + literal(",")
        common = or_(*(padded.contains(f",{code},", autoescape=True) for code in user.countries))
        return and_(User.role == Role.EXPERT.value, common)
    if user.role == Role.APPLICANT and user.company_id is not None:
        return and_(User.role == Role.APPLICANT.value, User.company_id == user.company_id)
    return false()


def can_withdraw_case(user: User, case: Case) -> bool:
    """辞退: the company itself (an applicant of that company), or JETRO staff when it tells them."""
    if user.role == Role.STAFF:
        return True
    return user.role == Role.APPLICANT and user.company_id is not None and case.company_id == user.company_id


def can_suspend_case(user: User) -> bool:
    """Suspending and resuming one case, and cancelling it (中止, with a notice to the company): JETRO staff."""
    return user.role == Role.STAFF


def can_postpone_edition(user: User) -> bool:
    """Suspending and resuming every case of an edition at once: a staff lead."""
    return user.role == Role.STAFF and user.is_lead


def can_record_original(user: User) -> bool:
    """FY2021's posted original: its dispatch and receipt are recorded by JETRO staff."""
    return user.role == Role.STAFF


def can_register_application(user: User) -> bool:
    return user.role == Role.STAFF


def can_deploy(user: User) -> bool:
    return user.role in (Role.DESIGNER, Role.ADMIN)


def can_repair_instances(user: User) -> bool:
    """The errors page: failed diagram steps, retried (on the submitter's behalf) or marked resolved."""
    return user.role in (Role.DESIGNER, Role.ADMIN)


def can_control_instance(user: User) -> bool:
    """Suspending, resuming and terminating a case's process instance from the designer pages (terminating is
    cancelling without the company's notice): process designers and admins."""
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


def can_manage_accounts(user: User) -> bool:
    """The admin pages for accounts: create, edit, deactivate, password links."""
    return user.role == Role.ADMIN


def can_invite_applicant(user: User) -> bool:
    """Inviting a company's contact from its case: JETRO staff."""
    return user.role == Role.STAFF
