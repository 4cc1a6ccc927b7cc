"""Whether a running instance can move to another version of its process (SpiffWorkflow.bpmn.util.diff).

An instance moves when no task it is at (ready, started, or waiting on a timer or a called process) has a spec
that changed or vanished in the new version, in the top process or in any called process it has started;
completed tasks may have changed (history is kept as it was) and future tasks take the new spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from . import engine
from .engine import Definition, Instance

_REGISTRY = engine._serializer.registry  # the converters the specs are stored with: what "changed" compares
_AT = TaskState.READY | TaskState.STARTED | TaskState.WAITING


@dataclass(frozen=True)
class Blocker:
    """A task the instance is at whose element changed (`changed`, with the changed attributes) or is gone
    (`removed`), or a called process that no longer exists (`process_removed`)."""

    code: str
    element: str
    title: str
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MigrationCheck:
    blockers: tuple[Blocker, ...]

    @property
    def movable(self) -> bool:
        return not self.blockers


def _element(task: Any) -> tuple[str, str]:
    spec = task.task_spec
    element = getattr(spec, "bpmn_id", None) or spec.name
    return str(element), str(getattr(spec, "bpmn_name", None) or element)


def _diffs(instance: Instance, target: Definition) -> tuple[WorkflowDiff, dict[Any, WorkflowDiff | None]]:
    return diff_workflow(_REGISTRY, instance.workflow, target.spec, target.subprocess_specs)  # type: ignore[no-any-return]


def check(instance: Instance, target: Definition) -> MigrationCheck:
    top, subprocesses = _diffs(instance, target)
    blockers: dict[tuple[str, str], Blocker] = {}
    for sp_id, diff in [(None, top), *subprocesses.items()]:
        if diff is None:
            name = str(instance.workflow.subprocesses[sp_id].spec.name)
            blockers[("process_removed", name)] = Blocker("process_removed", name, name)
            continue
        for task in diff.removed:
            if task.state & _AT:
                element, title = _element(task)
                blockers[("removed", element)] = Blocker("removed", element, title)
        for task in diff.changed:
            if task.state & _AT:
                element, title = _element(task)
                attributes = _changed_attributes(task.task_spec, diff.alignment.get(task))
                blockers[("changed", element)] = Blocker("changed", element, title, attributes)
    return MigrationCheck(tuple(sorted(blockers.values(), key=lambda b: (b.element, b.code))))


def _changed_attributes(original: Any, new: Any) -> tuple[str, ...]:
    if new is None:
        return ()
    before, after = _REGISTRY.convert(original), _REGISTRY.convert(new)
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ()
    return tuple(sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key)))


def migrate(instance: Instance, target: Definition) -> Instance:
    """Moves a movable instance to `target` (ValueError naming the first blocker otherwise); the caller stores
    the returned instance as the new version's."""
    result = check(instance, target)
    if not result.movable:
        raise ValueError(f"cannot migrate: {result.blockers[0]}")
    top, subprocesses = _diffs(instance, target)
    workflow = instance.workflow
    # Only the ready tasks are re-predicted (what follows them may have changed). SpiffWorkflow's default also
    # resets the waiting ones, which restarts a started timer from now (a reminder due in 9 days would wait 14
    # again); a waiting task's element is unchanged here (check() refuses otherwise), so it keeps its due instant.
    migrate_workflow(top, workflow, target.spec, reset_mask=TaskState.READY)
    for sp_id, diff in subprocesses.items():
        sub = workflow.subprocesses[sp_id]
        if diff is not None:
            migrate_workflow(diff, sub, target.subprocess_specs[sub.spec.name], reset_mask=TaskState.READY)
    workflow.subprocess_specs = target.subprocess_specs
    moved = Instance(target, workflow)
    # The tasks keep their ids (SpiffWorkflow re-points them at the new specs), so what the application stored
    # for the ready ones (its task rows) still holds: the moved instance starts from the same stored state.
    moved._stored_ready = instance._stored_ready
    return moved


@dataclass(frozen=True)
class ElementChange:
    element: str
    title: str
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class VersionChanges:
    """What the engine runs differently from one version to another, by element (layout-only edits are none)."""

    added: tuple[ElementChange, ...]
    removed: tuple[ElementChange, ...]
    changed: tuple[ElementChange, ...]

    @property
    def none(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _visible(spec: Any) -> bool:
    return getattr(spec, "bpmn_id", None) is not None and not str(spec.name).endswith(" [child]")


def _change(spec: Any, attributes: tuple[str, ...] = ()) -> ElementChange:
    return ElementChange(str(spec.bpmn_id), str(spec.bpmn_name or spec.bpmn_id), attributes)


def compare(old: Definition, new: Definition) -> VersionChanges:
    """Element by element, the top process and every called process (SpiffWorkflow's SpecDiff aligns them)."""
    added: dict[str, ElementChange] = {}
    removed: dict[str, ElementChange] = {}
    changed: dict[str, ElementChange] = {}
    pairs = [(old.spec, new.spec)] + [(s, new.subprocess_specs.get(n)) for n, s in old.subprocess_specs.items()]
    pairs += [(None, s) for n, s in new.subprocess_specs.items() if n not in old.subprocess_specs]
    for before, after in pairs:
        if before is None or after is None:
            target, kept = (added, after) if before is None else (removed, before)
            for spec in kept.task_specs.values():
                if _visible(spec):
                    target[spec.bpmn_id] = _change(spec)
            continue
        diff = SpecDiff(_REGISTRY, before, after)
        for spec in diff.added:
            if _visible(spec):
                added[spec.bpmn_id] = _change(spec)
        for spec in diff.removed:
            if _visible(spec):
                removed[spec.bpmn_id] = _change(spec)
        for spec, new_spec in diff.alignment.items():
            if _visible(spec) and new_spec is not None and diff.comparisons.get(spec):
                changed[spec.bpmn_id] = _change(new_spec, _changed_attributes(spec, new_spec))
    order = lambda changes: tuple(sorted(changes.values(), key=lambda c: c.element))  # noqa: E731
    return VersionChanges(order(added), order(removed), order(changed))
