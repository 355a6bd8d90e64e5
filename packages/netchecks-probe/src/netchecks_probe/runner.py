"""Running a probe config: every rule concurrently, results in config order.

Each rule is rendered (templates), validated, run by its check module in a
worker thread, judged with CEL and redacted. One bad rule gives that rule an
``error`` result with a message; the others run. Bounds:

- ``parallelism`` rules at a time (a thread pool);
- each attempt of a check has the rule's timeout; a check that overruns it is
  abandoned (its daemon thread cannot hang the run) and reported as a timeout
  (no response: a failed check);
- the whole run has one deadline (``--run-timeout``), from which every attempt
  takes its own (:meth:`Deadline.for_rule`): a rule cut by it gets reason
  ``deadline``, an ``error`` (it could not be judged), never a ``timeout``.

Every status is decided by :func:`netchecks_core.verdict.decide`.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from netchecks_core.cel_native import native_program
from netchecks_core.errors import join
from netchecks_core.output_document import output_document
from netchecks_core.runnable import RunnableConfig, RunnableRule, runnable_rule, spec_of
from netchecks_core.templates import expressions, has_template
from netchecks_core.verdict import decide

from netchecks_probe.checks import bounded, load_check
from netchecks_probe.checks.base import Deadline
from netchecks_probe.checks.failures import failure
from netchecks_probe.contexts import LoadedContexts, load_contexts
from netchecks_probe.memory import return_large_blocks
from netchecks_probe.output_bounds import OutputBudget, bound_results, json_safe
from netchecks_probe.redact import LiveRedactor, redacted_logs
from netchecks_probe.version import probe_version

log = logging.getLogger(__name__)

#: Extra time a check gets past its deadline before the runner abandons it.
GRACE_SECONDS = 1.0


@dataclass(frozen=True)
class RunOptions:
    """How to run a config."""

    #: Rules running at the same time; checks mostly wait on the network.
    parallelism: int = 32
    #: Seconds for the whole run; rules unfinished by then are errors.
    run_timeout: float = 600.0
    #: Keep headers, DSNs and Secret values in results.
    disable_redaction: bool = False


#: Called with (assertion name, result) as each rule finishes; results are redacted.
ProgressCallback = Callable[[str, dict[str, Any]], None]


def run_config(
    config: RunnableConfig,
    options: RunOptions | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Run every rule of ``config`` and return the output document."""
    options = options or RunOptions()
    return_large_blocks()
    run_deadline = Deadline.after(options.run_timeout)
    created = _now()
    disable = options.disable_redaction or config_redaction_off(config)
    contexts = LoadedContexts()
    live = LiveRedactor(not disable, contexts.secret_values)
    with redacted_logs(live):
        contexts = load_contexts(config.contexts, run_deadline, into=contexts)
        run = _Run(contexts, run_deadline, live, progress)
        jobs = [
            _Job(a_index, assertion.name, r_index, raw)
            for a_index, assertion in enumerate(config.assertions)
            for r_index, raw in enumerate(assertion.rules)
        ]
        results = run.run_all(jobs, options.parallelism)
        run.output.close()  # checks abandoned at the deadline must not change what is written
        names = [run.assertion_name(a.name, i) for i, a in enumerate(config.assertions)]
    redactor = live.current()
    # Each result was made JSON-safe as it was admitted (``finish``). Redacted again with
    # every secret known by now, then cut: a cut never leaves a secret's start unseen.
    safe = bound_results([redactor.result(result) for result in results])
    assertions = [
        (
            json_safe(redactor.text(names[a_index])),
            [result for job, result in zip(jobs, safe, strict=True) if job.assertion == a_index],
        )
        for a_index in range(len(config.assertions))
    ]
    return output_document(created, probe_version(), assertions)


def config_redaction_off(config: RunnableConfig) -> bool:
    """Whether the config itself turns redaction off (``disableRedaction: true``)."""
    return config.extra.get("disableRedaction") is True


@dataclass(frozen=True)
class _Job:
    assertion: int
    assertion_name: str
    index: int
    raw: Any

    @property
    def where(self) -> str:
        return f"assertions[{self.assertion}].rules[{self.index}]"


class _Run:
    def __init__(
        self,
        contexts: LoadedContexts,
        deadline: Deadline,
        redactor: LiveRedactor,
        progress: ProgressCallback | None,
    ) -> None:
        self.contexts = contexts
        self.deadline = deadline
        self.redactor = redactor
        self.output = OutputBudget()
        self.progress = progress
        self._cel_contexts: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def cel_contexts(self) -> dict[str, Any]:
        """Contexts converted to CEL values once per run (directories stay lazy)."""
        with self._lock:
            if self._cel_contexts is None:
                self._cel_contexts = {}
                if self.contexts.values:  # none: no need for the engine here
                    from netchecks_core.cel import to_cel  # imports celpy

                    values = self.contexts.values.items()
                    self._cel_contexts = {k: to_cel(v) for k, v in values}
            return self._cel_contexts

    def assertion_name(self, name: str, index: int) -> str:
        if not has_template(name):
            return name
        from netchecks_core.render import TemplateError, render

        try:
            return str(render(name, self.cel_contexts(), f"assertions[{index}].name"))
        except TemplateError as error:
            log.warning("%s", error)
            return name

    def run_all(self, jobs: list[_Job], parallelism: int) -> list[dict[str, Any]]:
        if not jobs:
            return []
        _preload(jobs)
        workers = max(1, min(parallelism, len(jobs)))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="netchecks-rule")
        futures: list[Future[dict[str, Any]]] = [pool.submit(self.run_job, job) for job in jobs]
        wait(futures, timeout=self.deadline.remaining() + 2 * GRACE_SECONDS)
        pool.shutdown(wait=False, cancel_futures=True)
        results = []
        for job, future in zip(jobs, futures, strict=True):
            if future.done() and not future.cancelled():
                results.append(future.result())
            else:
                message = "the rule did not finish before the run's deadline"
                results.append(self.finish(job, _deadline_result(job.raw, message)))
        return results

    def run_job(self, job: _Job) -> dict[str, Any]:
        try:
            result = self._run_job(job)
        except Exception as error:
            log.debug("rule %s crashed", job.where, exc_info=True)
            message = f"internal error: {type(error).__name__}: {error}"
            result = _error_result(job.raw, message)
        return self.finish(job, result)

    def finish(self, job: _Job, result: dict[str, Any]) -> dict[str, Any]:
        # Redacted and cut now: a run of many big results never holds them all in full.
        redactor = self.redactor.current()
        result = self.output.admit(redactor.result(result))
        if self.progress is not None and not self.output.closed:  # late: after the document
            self.progress(redactor.text(job.assertion_name), result)
        return result

    def _run_job(self, job: _Job) -> dict[str, Any]:
        raw, where = job.raw, job.where
        if self.deadline.expired():
            return _deadline_result(raw, "not run: the run's deadline passed before it started")
        unusable = self._failed_contexts_used(raw)
        if unusable:
            return _error_result(raw, join(unusable))
        rendered = raw
        if _has_any_template(raw):
            from netchecks_core.render import TemplateError, render

            try:
                rendered = render(raw, self.cel_contexts(), where)
            except TemplateError as error:
                return _error_result(raw, str(error))
        rule, errors = runnable_rule(raw, rendered, where)
        if rule is None:
            return _error_result(raw, join(errors))
        return self._run_rule(rule, rendered, where)

    def _run_rule(self, rule: RunnableRule, rendered: dict[str, Any], where: str) -> dict[str, Any]:
        try:
            module = load_check(rule.type)
        except (ValueError, ImportError) as error:
            return _error_result(
                rendered, f"{where}: check type {rule.type!r} unavailable: {error}"
            )
        pattern = rule.pattern or str(module.DEFAULT_RULE)

        def compile_pattern() -> str | None:
            if native_program(pattern) is not None:
                return None  # valid CEL, judged without the engine
            from netchecks_core import cel

            try:
                cel.compile_expression(pattern)
            except cel.CelSyntaxError as error:
                field = "validation" if rule.validation else "validate.pattern"
                return f"{where}.{field}: {error.message}"
            return None

        spec = _echo_spec(module, rule, pattern)
        from netchecks_probe.judge import judge

        attempts = 0
        while True:
            attempts += 1
            # The rule's CEL is compiled after its first check (usually by _preload).
            meanwhile = compile_pattern if attempts == 1 else None
            data, crash, invalid = self._attempt(module, rule, meanwhile)
            if invalid is not None:
                return _error_result(rendered, invalid)
            if crash is not None:
                verdict = decide(data=data, cel=None, unjudged=crash)
                return {
                    "name": rule.name,
                    "spec": spec,
                    "data": data,
                    "status": verdict.status,
                    "message": verdict.message,
                }
            verdict = judge(rule, pattern, data, spec, self.cel_contexts())
            if (
                verdict.status == "pass"
                or attempts > rule.retries
                or self.deadline.remaining() <= rule.retry_delay
            ):
                break
            log.info("%s: attempt %d gave %s; retrying", where, attempts, verdict.status)
            time.sleep(rule.retry_delay)
        if rule.retries:
            data["attempts"] = attempts
        result: dict[str, Any] = {
            "name": rule.name,
            "spec": spec,
            "data": data,
            "status": verdict.status,
        }
        if verdict.message:
            result["message"] = verdict.message
        return result

    def _attempt(
        self,
        module: ModuleType,
        rule: RunnableRule,
        meanwhile: Callable[[], str | None] | None = None,
    ) -> tuple[dict[str, Any], str | None, str | None]:
        """Run the check once: (data with timestamps, crash message, rule problem).

        ``meanwhile`` (compiling the rule's CEL) runs while the check does, or after a
        check that bounds itself; a problem it returns ends the attempt with it.
        """
        timeout = rule.effective_timeout
        deadline = self.deadline.for_rule(timeout)
        started = _now()
        if getattr(module, "SELF_BOUNDED", False):
            # In this worker thread: a second one per rule only costs CPU and skews timing.
            box = _call_check(module, rule, deadline)
            finished = True
            problem = meanwhile() if meanwhile is not None else None
        else:
            finished, box, problem = _call_watched(module, rule, deadline, meanwhile)
        if problem is not None:
            return {}, None, problem
        ended = _now()
        crash: str | None = None
        if not finished:
            data: dict[str, Any] = failure(
                "timeout",
                message=f"the check did not finish within its timeout of {timeout:g} s",
                exception_type="Timeout",
            )
        elif "error" in box:
            error = box["error"]
            data, crash = {}, f"the {rule.type} check crashed: {type(error).__name__}: {error}"
        elif not isinstance(box.get("data"), dict):
            data, crash = {}, f"the {rule.type} check returned no data"
        else:
            data = dict(box["data"])
        if deadline.by_run and data.get("reason") in _OUT_OF_TIME:
            data = {**data, **_cut_by_run_deadline()}
        # The check's own clock times its network exchange; ours, the whole call.
        started = str(data.pop("startTimestamp", started))
        ended = str(data.pop("endTimestamp", ended))
        return {"startTimestamp": started, **data, "endTimestamp": ended}, crash, None

    def _failed_contexts_used(self, raw: Any) -> list[str]:
        failed = self.contexts.failed
        if not failed or not isinstance(raw, dict):
            return []
        names: set[str] = set()
        from netchecks_core import cel

        texts = list(_template_expressions(raw))
        pattern = raw.get("validation") or (raw.get("validate") or {}).get("pattern")
        if isinstance(pattern, str):
            texts.append(pattern)
        for text in texts:
            try:
                names |= cel.free_names(text)
            except cel.CelSyntaxError:
                continue  # reported when the rule is rendered or compiled
        return [
            f"uses context {n!r}, which could not be loaded: {failed[n]}"
            for n in sorted(names & set(failed))
        ]


def _preload(jobs: list[_Job]) -> None:
    """Import the check modules the rules need and compile their CEL, before any rule runs.

    Imported by the first rules instead, they would hold the interpreter lock while
    other rules' exchanges are being timed (and import in turn anyway). Expressions
    with a native form need no compiling: when all have one, the engine is not loaded.
    """
    raws = [job.raw for job in jobs if isinstance(job.raw, dict)]
    patterns = set()
    for check_type in {raw.get("type") for raw in raws}:
        with contextlib.suppress(ValueError, ImportError, TypeError):  # the rule reports it
            patterns.add(str(load_check(str(check_type)).DEFAULT_RULE))
    patterns |= {v for raw in raws if isinstance(v := raw.get("validation"), str)}
    patterns |= {v for raw in raws if isinstance(v := _validate_pattern(raw), str)}
    patterns = {p for p in patterns if native_program(p) is None}
    if not patterns:
        return
    from netchecks_core import cel

    for pattern in sorted(patterns):
        with contextlib.suppress(cel.CelSyntaxError):  # the rule reports it
            cel.compile_expression(pattern)


def _validate_pattern(raw: dict[str, Any]) -> Any:
    validate = raw.get("validate")
    return validate.get("pattern") if isinstance(validate, dict) else None


def _call_check(module: ModuleType, rule: RunnableRule, deadline: Deadline) -> dict[str, Any]:
    """``module.run``: ``{"data": ...}``, or ``{"error": exception}`` when it raised."""
    try:
        return {"data": module.run(rule, deadline)}
    except Exception as error:  # noqa: BLE001 - a check's bug is that rule's error
        return {"error": error}


def _call_watched(
    module: ModuleType,
    rule: RunnableRule,
    deadline: Deadline,
    meanwhile: Callable[[], str | None] | None,
) -> tuple[bool, dict[str, Any], str | None]:
    """Run a check that may overrun in a call thread, abandoned past its deadline.

    Returns (finished, what :func:`_call_check` gave, the problem ``meanwhile`` found).
    """
    outcome = bounded.start(lambda: _call_check(module, rule, deadline))
    problem = meanwhile() if meanwhile is not None else None
    if problem is not None:
        return False, {}, problem
    finished = outcome.done.wait(deadline.remaining() + GRACE_SECONDS)
    return finished, (outcome.value or {}) if finished else {}, None


def _echo_spec(module: ModuleType, rule: RunnableRule, pattern: str) -> dict[str, Any]:
    echo = getattr(module, "echo_spec", None)
    if echo is not None:
        spec = dict(echo(rule))
    else:
        spec = spec_of(rule, exclude=frozenset({"name", "validation", "validate_spec"}))
        spec["timeout"] = rule.effective_timeout
    for key, value in getattr(module, "ECHO_ALWAYS", {}).items():
        spec.setdefault(key, copy.deepcopy(value))
    spec.setdefault("type", rule.type)
    spec["pattern"] = pattern
    return spec


#: Reasons a check gives when its deadline ran out; the run's deadline makes them ``deadline``.
_OUT_OF_TIME = frozenset({"timeout", "banner-timeout"})


def _cut_by_run_deadline() -> dict[str, Any]:
    return failure(
        "deadline",
        message="the run's deadline (--run-timeout) cut the check before its own timeout",
        exception_type="RunDeadline",
    )


def _error_result(raw: Any, message: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    name = raw.get("name") if isinstance(raw, dict) else None
    spec = dict(raw) if isinstance(raw, dict) else {}
    data = data or {}
    verdict = decide(data=data, cel=None, unjudged=message)
    return {
        "name": name if isinstance(name, str) else None,
        "spec": spec,
        "data": data,
        "status": verdict.status,
        "message": verdict.message,
    }


def _deadline_result(raw: Any, message: str) -> dict[str, Any]:
    return _error_result(
        raw, message, failure("deadline", message=message, exception_type="RunDeadline")
    )


def _has_any_template(value: Any) -> bool:
    return any(True for _ in _template_expressions(value))


def _template_expressions(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        if has_template(value):
            yield from expressions(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _template_expressions(key)
            yield from _template_expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from _template_expressions(item)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()
