"""A run of an assertion -> its PolicyReport (pure).

Every rule of the assertion gets exactly one result: the probe's verdict when
the run produced an output document, else ``error`` with what went wrong. The
report stays small whatever the probe printed: messages and the ``spec``/``data``
properties are bounded (always valid JSON text), and when the whole report would
still be too big, property bounds shrink and then results are left out (passing
ones first); the ``netchecks.io/truncated`` annotation says what was cut. Data nested
deeper than :data:`netchecks_core.depth.MAX_DEPTH` is replaced by a marker and NaN or
Infinity by strings (no walk can recurse too deep, no JSON written is invalid). The
summary always counts every rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from netchecks_core.assertion import API_VERSION, KIND, Summary
from netchecks_core.convert import result_names
from netchecks_core.depth import bounded
from netchecks_core.naming import (
    ANNOTATION_ASSERTION,
    ANNOTATION_GENERATION,
    ANNOTATION_OPERATOR_VERSION,
    LABEL_ASSERTION_UID,
    LABEL_INSTANCE,
    LABEL_POLICY_ENGINE,
    LABEL_VERSION,
    MANAGED_BY_RESULTS,
    POLICY_ENGINE,
    REPORT_ANNOTATIONS_0_10,
    child_labels,
    instance_label,
    policy_report_name,
    version_label,
)
from netchecks_core.policyreport import (
    ANNOTATION_FAILING_NODE_COUNT,
    ANNOTATION_FAILING_NODES,
    ANNOTATION_FINISH_TIME,
    ANNOTATION_JOB_NAME,
    ANNOTATION_JOB_UID,
    ANNOTATION_LAST_RESULT_TIME,
    ANNOTATION_NODES,
    ANNOTATION_POD_NAME,
    ANNOTATION_POD_PHASE,
    ANNOTATION_POD_START_TIME,
    ANNOTATION_POD_UID,
    ANNOTATION_RUN_FAILURE,
    ANNOTATION_RUN_TIME,
    ANNOTATION_TRUNCATED,
    MAX_FAILING_NODES_NAMED,
    SEVERITIES,
    SOURCE,
    ObjectReference,
    ReportResult,
    Severity,
    Timestamp,
    build_report,
    has_report_source,
    summarize,
)
from netchecks_core.probe_output import ProbeOutput, RuleResult, RuleStatus
from netchecks_core.reasons import REASONS
from netchecks_core.resources import Resource
from netchecks_core.rules import REDACTED, REDACTED_FIELDS
from netchecks_core.times import parse_rfc3339, rfc3339
from netchecks_core.verdict import decide

from netchecks_results.runs import ProbeRun, RunFailure, RunOrder, clip, generation_of

ANNOTATION_SEVERITY = "netchecks.io/severity"
ANNOTATION_CONTROLS = "netchecks.io/controls"
ANNOTATION_DESCRIPTION = "netchecks.io/description"
#: The smallest bound properties shrink to before results are left out.
MIN_PROPERTY_BYTES = 256


def _own_version() -> str:
    try:
        return version("netchecks-results")
    except PackageNotFoundError:  # running from a source tree
        return "0.0.0"


VERSION = _own_version()


@dataclass(frozen=True)
class ReportLimits:
    """Size bounds of a report (the API server refuses objects over ~1.5 MiB)."""

    max_property_bytes: int = 4096
    max_message_chars: int = 1024
    max_results: int = 500
    max_report_bytes: int = 256 * 1024


def severity_of(annotations: dict[str, str]) -> Severity | None:
    """The ``netchecks.io/severity`` annotation if it is a severity the API accepts."""
    value = (annotations.get(ANNOTATION_SEVERITY) or "").strip().lower()
    for severity in SEVERITIES:
        if value == severity:
            return severity
    return None


def controls_of(annotations: dict[str, str]) -> str | None:
    """The ``netchecks.io/controls`` IDs, normalised to ``a,b,c``."""
    ids = [part.strip() for part in (annotations.get(ANNOTATION_CONTROLS) or "").split(",")]
    return ",".join(i for i in ids if i) or None


def _shrink(value: Any, strings: int, items: int) -> Any:
    if isinstance(value, str):
        return clip(value, strings)
    if isinstance(value, list):
        head = [_shrink(v, strings, items) for v in value[:items]]
        if len(value) > items:
            head.append(f"… {len(value) - items} more")
        return head
    if isinstance(value, dict):
        keys = list(value)[:items]
        out = {str(k): _shrink(value[k], strings, items) for k in keys}
        if len(value) > items:
            out["…"] = f"{len(value) - items} more keys"
        return out
    return value


def _wire_len(text: str) -> int:
    # The size the string takes in the request body (the client escapes non-ASCII).
    return len(json.dumps(text)) - 2


def bounded_json(value: Any, limit: int) -> tuple[str, bool]:
    """``value`` as compact JSON text of at most ``limit`` bytes (still valid JSON).

    Long strings and lists are cut first; if that is not enough, the text is a
    small object saying how big the value was. Returns the text and whether it was cut.
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    size = _wire_len(text)
    if size <= limit:
        return text, False
    for strings, items in ((1024, 50), (256, 20), (64, 10), (16, 5)):
        cut = json.dumps(
            _shrink(value, strings, items), separators=(",", ":"), ensure_ascii=False, default=str
        )
        if _wire_len(cut) <= limit:
            return cut, True
    return json.dumps({"truncated": True, "bytes": size}), True


def _redact_rule(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if k in REDACTED_FIELDS else v) for k, v in rule.items()}


def _type_name(rule_type: str) -> str:
    return rule_type.upper() if rule_type in ("dns", "http", "tcp") else rule_type


def _reason_text(data: dict[str, Any]) -> str | None:
    reason = data.get("reason")
    if isinstance(reason, str) and reason in REASONS and reason != "error":
        return REASONS[reason]
    exception = data.get("exception") or data.get("error")
    if isinstance(exception, str) and exception:
        return exception
    if isinstance(reason, str) and reason:
        return REASONS.get(reason, reason)
    return None


def result_message(
    rule_type: str,
    expected: str,
    result: RuleResult,
    validate_message: str | None,
) -> str:
    """``validate.message`` for pass/fail when given, else a sentence from the outcome."""
    if validate_message and result.status in ("pass", "fail"):
        return validate_message
    check = f"the {_type_name(rule_type)} check"
    why = _reason_text(result.data)
    said = result.message
    if result.status == "error":
        return f"{check} could not be judged: {said or why or 'no reason given'}"
    if result.status == "pass":
        if expected == "fail":
            return f"{check} failed as expected" + (f": {why}" if why else "")
        return f"{check} passed" + (f": {said}" if said else "")
    if expected == "fail":
        return f"{check} succeeded but was expected to fail" + (f": {said}" if said else "")
    sentence = f"{check} failed: {why or 'the validation rule did not hold'}"
    return sentence + (f" ({said})" if said and said != why else "")


def _end_time(data: dict[str, Any]) -> datetime | None:
    return parse_rfc3339(data.get("endTimestamp"))


@dataclass
class _Draft:
    """A result before its properties are bounded."""

    result: ReportResult
    spec: Any
    data: Any
    #: Whether spec or data nested too deeply or held NaN/Infinity (and were replaced).
    sanitized: bool = False


@dataclass(frozen=True)
class _Verdict:
    """What a rule's result says, before it is bounded."""

    status: RuleStatus
    message: str
    spec: Any
    data: Any
    #: When the check ended (None: not known, the run's end stands in).
    moment: datetime | None


def _verdict(
    name: str,
    rule: dict[str, Any],
    found: RuleResult | None,
    outcome: ProbeOutput | RunFailure,
    redaction: bool,
) -> _Verdict:
    """The probe's result for ``rule`` when there is one, else ``error`` saying why not."""
    if found is not None:
        rule_type = str(rule.get("type") or "unknown")
        expected = str(rule.get("expected") or "pass").lower()
        validate = rule.get("validate")
        said = validate.get("message") if isinstance(validate, dict) else None
        message = result_message(rule_type, expected, found, said)
        return _Verdict(found.status, message, found.spec, found.data, _end_time(found.data))
    if isinstance(outcome, RunFailure):
        message = f"no result: {outcome.message}"
    else:
        message = f"no result: the probe output has no result for rule {name!r}"
    status = decide(data={}, cel=None, unjudged=message).status  # never judged
    return _Verdict(status, message, _redact_rule(rule) if redaction else rule, {}, None)


def _first_result_by_rule(outcome: ProbeOutput | RunFailure) -> dict[str, RuleResult]:
    """Each rule's result (the first, when a name repeats); empty for a failed run."""
    by_name: dict[str, RuleResult] = {}
    if isinstance(outcome, ProbeOutput):
        for item in outcome.assertions:
            if item.results:
                by_name.setdefault(item.name, item.results[0])
    return by_name


def _shared_properties(
    annotations: dict[str, str], run: ProbeRun, limits: ReportLimits
) -> dict[str, str]:
    """The properties every result of the report has: the Pod, controls, description."""
    properties: dict[str, str] = {"pod": run.pod_name}
    if controls := controls_of(annotations):
        properties["controls"] = controls
    if description := annotations.get(ANNOTATION_DESCRIPTION):
        properties["description"] = clip(description, limits.max_message_chars)
    return properties


def _drafts(
    assertion: dict[str, Any],
    run: ProbeRun,
    outcome: ProbeOutput | RunFailure,
    now: datetime,
    limits: ReportLimits,
) -> list[_Draft]:
    """One draft result per rule of the assertion, in rule order."""
    meta = assertion.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    spec = assertion.get("spec") or {}
    redaction = not spec.get("disableRedaction")
    severity = severity_of(annotations)
    properties = _shared_properties(annotations, run, limits)
    by_name = _first_result_by_rule(outcome)
    fallback_time = run.finished or now
    drafts = []
    rules = spec.get("rules") or []
    for name, rule in zip(result_names(rules), rules, strict=True):
        verdict = _verdict(name, rule, by_name.get(name), outcome, redaction)
        result = ReportResult(
            policy=str(meta.get("name") or ""),
            rule=name,
            category=str(rule.get("type") or "unknown"),
            severity=severity,
            result=verdict.status,
            scored=True,
            source=SOURCE,
            timestamp=Timestamp.from_datetime(verdict.moment or fallback_time),
            message=clip(verdict.message, limits.max_message_chars),
            properties=dict(properties),
        )
        safe_spec, spec_changed = bounded(verdict.spec)
        safe_data, data_changed = bounded(verdict.data)
        drafts.append(_Draft(result, safe_spec, safe_data, spec_changed or data_changed))
    return drafts


def _with_properties(drafts: list[_Draft], limit: int) -> tuple[list[ReportResult], int]:
    results, cut = [], 0
    for draft in drafts:
        spec_text, spec_cut = bounded_json(draft.spec, limit)
        data_text, data_cut = bounded_json(draft.data, limit)
        cut += spec_cut or data_cut
        properties = {**(draft.result.properties or {}), "spec": spec_text, "data": data_text}
        results.append(draft.result.model_copy(update={"properties": properties}))
    return results, cut


def _result_size(result: ReportResult) -> int:
    return len(json.dumps(result.model_dump(mode="json", exclude_none=True))) + 2


def _size(results: list[ReportResult]) -> int:
    return sum(_result_size(r) for r in results)


def _fit(
    drafts: list[_Draft], limits: ReportLimits, overhead: int
) -> tuple[list[ReportResult], str | None]:
    """Results within the byte budget, and a sentence saying what was cut (if anything)."""
    budget = max(1, limits.max_report_bytes - overhead)
    total = len(drafts)
    limit = limits.max_property_bytes
    results, cut = _with_properties(drafts, limit)
    size = _size(results)
    while size > budget and limit > MIN_PROPERTY_BYTES:
        limit = max(MIN_PROPERTY_BYTES, limit // 2)
        results, cut = _with_properties(drafts, limit)
        size = _size(results)
    notes = []
    if cut:
        notes.append(f"spec/data properties of {cut} results cut to {limit} bytes")
    if len(results) > limits.max_results or size > budget:
        # Leave out passing results first, then others from the end, keeping rule order.
        order = sorted(range(len(results)), key=lambda i: (results[i].result != "pass", -i))
        dropped: set[int] = set()
        for i in order:
            shown = len(results) - len(dropped)
            if shown <= 1 or (shown <= limits.max_results and size <= budget):
                break
            dropped.add(i)
            size -= _result_size(results[i])
        results = [r for i, r in enumerate(results) if i not in dropped]
        notes.append(f"{len(results)} of {total} results shown (the summary counts all)")
    return results, "; ".join(notes) or None


def assertion_reference(assertion: dict[str, Any]) -> ObjectReference:
    """The report's scope: the assertion."""
    meta = assertion.get("metadata") or {}
    return ObjectReference(
        api_version=API_VERSION,
        kind=KIND,
        name=meta.get("name"),
        namespace=meta.get("namespace"),
        uid=meta.get("uid"),
    )


def report_annotations(run: ProbeRun, assertion_name: str) -> dict[str, str]:
    """The annotations naming the run a report shows (its idempotence and ordering marker).

    Times are RFC 3339 with microseconds: they sort as text and parse back exactly.
    """
    annotations = {
        **REPORT_ANNOTATIONS_0_10,
        ANNOTATION_OPERATOR_VERSION: VERSION,
        ANNOTATION_ASSERTION: assertion_name,
        ANNOTATION_POD_UID: run.pod_uid,
        ANNOTATION_POD_NAME: run.pod_name,
        ANNOTATION_POD_PHASE: run.phase,
        ANNOTATION_RUN_TIME: rfc3339(run.run_time, micros=True),
        ANNOTATION_POD_START_TIME: rfc3339(run.started or run.created, micros=True),
        ANNOTATION_GENERATION: str(run.generation),
    }
    if run.finished is not None:
        annotations[ANNOTATION_FINISH_TIME] = rfc3339(run.finished, micros=True)
    if run.job_name and run.job_uid:
        annotations[ANNOTATION_JOB_NAME] = run.job_name
        annotations[ANNOTATION_JOB_UID] = run.job_uid
    return annotations


def shown_order(annotations: dict[str, str]) -> RunOrder | None:
    """The order of the run that :func:`report_annotations` names (None: it is not dated)."""
    run_time = parse_rfc3339(annotations.get(ANNOTATION_RUN_TIME))
    started = parse_rfc3339(annotations.get(ANNOTATION_POD_START_TIME))
    if run_time is None or started is None:
        return None
    finished = parse_rfc3339(annotations.get(ANNOTATION_FINISH_TIME)) or started
    return (run_time, generation_of(annotations), started, finished)


def last_result_time(
    run: ProbeRun, outcome: ProbeOutput | RunFailure, previous: dict[str, Any] | None, uid: str
) -> str | None:
    """When the newest run of the assertion that gave a result was scheduled (None: never).

    This run's time when it gave a result; else what the previous report (of the same
    assertion) says.
    """
    if not isinstance(outcome, RunFailure):
        return rfc3339(run.run_time, micros=True)
    meta = (previous or {}).get("metadata") or {}
    if (meta.get("labels") or {}).get(LABEL_ASSERTION_UID) != uid:
        return None
    annotations = meta.get("annotations") or {}
    if ANNOTATION_LAST_RESULT_TIME in annotations:
        return str(annotations[ANNOTATION_LAST_RESULT_TIME])
    if ANNOTATION_RUN_FAILURE not in annotations and ANNOTATION_RUN_TIME in annotations:
        return str(annotations[ANNOTATION_RUN_TIME])  # written before this annotation existed
    return None


def report_labels(uid: str, assertion_name: str) -> dict[str, str]:
    """Our labels plus the ones 0.10 wrote (its users select reports by them)."""
    return {
        **child_labels(uid, MANAGED_BY_RESULTS),
        LABEL_INSTANCE: instance_label(assertion_name),
        LABEL_VERSION: version_label(VERSION),
        LABEL_POLICY_ENGINE: POLICY_ENGINE,
    }


def _run_annotations(
    run: ProbeRun,
    outcome: ProbeOutput | RunFailure,
    previous: dict[str, Any] | None,
    assertion_meta: dict[str, Any],
) -> dict[str, str]:
    """The report's annotations: the run shown, its failure, the last run with a result."""
    uid = str(assertion_meta["uid"])
    annotations = report_annotations(run, str(assertion_meta["name"]))
    if isinstance(outcome, RunFailure):
        annotations[ANNOTATION_RUN_FAILURE] = outcome.reason
    if (last_result := last_result_time(run, outcome, previous, uid)) is not None:
        annotations[ANNOTATION_LAST_RESULT_TIME] = last_result
    return annotations


def _truncation_note(drafts: list[_Draft], cut: str | None) -> str | None:
    """What was cut to fit, and what was replaced because it could not be written."""
    sanitized = sum(d.sanitized for d in drafts)
    if not sanitized:
        return cut
    note = f"spec/data of {sanitized} results nested too deeply or not finite (replaced)"
    return f"{cut}; {note}" if cut else note


def build_policy_report(
    assertion: dict[str, Any],
    run: ProbeRun,
    outcome: ProbeOutput | RunFailure,
    api: Resource,
    *,
    now: datetime,
    limits: ReportLimits | None = None,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The PolicyReport (in ``api``) showing ``run`` of ``assertion``.

    ``previous`` is the report it replaces (for the last time a run gave a result).
    """
    limits = limits or ReportLimits()
    drafts = _drafts(assertion, run, outcome, now, limits)
    annotations = _run_annotations(run, outcome, previous, assertion.get("metadata") or {})
    return _assemble(assertion, drafts, annotations, api, limits)


@dataclass(frozen=True)
class NodeOutcome:
    """One node's part of a per-node run: its probe Pod's run (None: none ran) and what
    came of it."""

    node: str
    run: ProbeRun | None
    outcome: ProbeOutput | RunFailure


def build_node_report(
    assertion: dict[str, Any],
    marker: ProbeRun,
    nodes: list[NodeOutcome],
    api: Resource,
    *,
    now: datetime,
    limits: ReportLimits | None = None,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The PolicyReport of a per-node run: a result per rule per node, each naming its
    node as the result's resource (``{kind: Node, name}``), rules in order within a node,
    nodes by name; the summary counts them all. ``marker`` names the run (annotations)."""
    limits = limits or ReportLimits()
    drafts = []
    for part in sorted(nodes, key=lambda n: n.node):
        for draft in _drafts(assertion, part.run or marker, part.outcome, now, limits):
            properties = dict(draft.result.properties or {})
            properties["node"] = part.node
            if part.run is None:
                properties.pop("pod", None)
            reference = ObjectReference(api_version="v1", kind="Node", name=part.node)
            draft.result = draft.result.model_copy(
                update={"resources": [reference], "properties": properties}
            )
            drafts.append(draft)
    outputs = [n.outcome for n in nodes if isinstance(n.outcome, ProbeOutput)]
    failures = [n.outcome for n in nodes if isinstance(n.outcome, RunFailure)]
    overall: ProbeOutput | RunFailure = outputs[0] if outputs else failures[0]
    annotations = _run_annotations(marker, overall, previous, assertion.get("metadata") or {})
    annotations.update(_node_annotations(drafts, len(nodes)))
    return _assemble(assertion, drafts, annotations, api, limits)


def _node_annotations(drafts: list[_Draft], count: int) -> dict[str, str]:
    """How many nodes, how many fail (any result not pass), and the first of those."""
    failing = sorted(
        {str((d.result.properties or {}).get("node")) for d in drafts if d.result.result != "pass"}
    )
    return {
        ANNOTATION_NODES: str(count),
        ANNOTATION_FAILING_NODE_COUNT: str(len(failing)),
        ANNOTATION_FAILING_NODES: ",".join(failing[:MAX_FAILING_NODES_NAMED]),
    }


def _assemble(
    assertion: dict[str, Any],
    drafts: list[_Draft],
    annotations: dict[str, str],
    api: Resource,
    limits: ReportLimits,
) -> dict[str, Any]:
    """The report from its draft results: bounded to the limits, summary over all."""
    meta = assertion.get("metadata") or {}
    name, uid = str(meta["name"]), str(meta["uid"])
    summary: Summary = summarize(d.result for d in drafts)
    owner = {"apiVersion": API_VERSION, "kind": KIND, "name": name, "uid": uid, "controller": True}

    def report(results: list[ReportResult], annotations: dict[str, str]) -> dict[str, Any]:
        return build_report(
            api,
            name=policy_report_name(name),
            namespace=meta.get("namespace"),
            results=results,
            summary=summary,
            labels=report_labels(uid, name),
            annotations=annotations,
            owner_references=[owner],
            scope=assertion_reference(assertion),
            max_results=limits.max_results if has_report_source(api) else None,
        )

    # What the report takes without results (and with room for the truncation note).
    overhead = len(json.dumps(report([], {**annotations, ANNOTATION_TRUNCATED: "x" * 200})))
    results, cut = _fit(drafts, limits, overhead)
    if truncated := _truncation_note(drafts, cut):
        annotations[ANNOTATION_TRUNCATED] = truncated
    return report(results, annotations)


def outcome_by_rule(report: dict[str, Any]) -> dict[str, str]:
    """``rule -> result`` of a report (for noticing outcome changes); a per-node result
    is keyed ``rule on node NAME``."""
    outcome = {}
    for result in report.get("results") or []:
        if not isinstance(result, dict):
            continue
        key = str(result.get("rule"))
        node = result_node(result)
        if node is not None:
            key = f"{key} on node {node}"
        outcome[key] = str(result.get("result"))
    return outcome


def result_node(result: dict[str, Any]) -> str | None:
    """The node a per-node result is about (its ``{kind: Node}`` resource), if any."""
    for reference in result.get("resources") or []:
        if isinstance(reference, dict) and reference.get("kind") == "Node":
            return str(reference.get("name"))
    return None
