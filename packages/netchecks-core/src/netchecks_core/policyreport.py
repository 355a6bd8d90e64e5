"""Policy reports: the ``wgpolicyk8s.io`` PolicyReport and ``openreports.io`` Report models.

One model serves every API: the field sets are the same (``docs/reference/
policyreport-api.md`` §3, §4, §6) except that ``wgpolicyk8s.io/v1alpha2`` has no
top-level ``source`` and ``configuration``; :meth:`PolicyReport.to_api` drops them
for that API. Fields live at the top level (no ``spec``/``status``), timestamps are
``{seconds, nanos}``, properties are strings only.

The results service is the only writer of these objects; the operator reads them
(by the labels and annotations named here) to write the assertion's status.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from netchecks_core.assertion import Summary
from netchecks_core.resources import Resource

ResultStatus = Literal["pass", "fail", "warn", "error", "skip"]
Severity = Literal["critical", "high", "medium", "low", "info"]
RESULT_STATUSES: tuple[ResultStatus, ...] = ("pass", "fail", "warn", "error", "skip")
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")

#: Every result names its producer: Policy Reporter takes a WG report's source from it.
SOURCE = "netchecks"

#: Annotation keys on every report the results service writes.
#: The run the report shows: the probe Pod's UID (a Pod already reflected is not redone).
ANNOTATION_POD_UID = "netchecks.io/pod-uid"
#: The probe Pod's name, for people.
ANNOTATION_POD_NAME = "netchecks.io/pod-name"
#: When the run shown was made: its Job's creation (RFC 3339), set by the API server, so
#: no user can date a run; an older run never overwrites a newer one.
ANNOTATION_RUN_TIME = "netchecks.io/run-time"
#: The Job of the run shown (name and UID): the operator removes a finished one-shot Job
#: only once the report shows it was taken.
ANNOTATION_JOB_NAME = "netchecks.io/job-name"
ANNOTATION_JOB_UID = "netchecks.io/job-uid"
#: The probe Pod's phase when the report was written (a Pod reported while stuck, e.g.
#: on an image pull error, is reported again once it finishes).
ANNOTATION_POD_PHASE = "netchecks.io/pod-phase"
#: When the probe Pod of that run started (RFC 3339): orders retries of one scheduled run.
ANNOTATION_POD_START_TIME = "netchecks.io/pod-start-time"
#: When the run finished (RFC 3339): the time of the latest result.
ANNOTATION_FINISH_TIME = "netchecks.io/finish-time"
#: Set when the run gave no usable result (failed Pod, unreadable or garbage log): a
#: stable reason code such as ``oom-killed`` or ``no-result``. The operator shows it
#: as the ``ResultParseError`` reason, with the report's first message.
ANNOTATION_RUN_FAILURE = "netchecks.io/run-failure"
#: When the newest run that gave a result was scheduled (RFC 3339): the run shown when it
#: gave one, else carried over from the report before. Absent until a run gives a result.
ANNOTATION_LAST_RESULT_TIME = "netchecks.io/last-result-time"
#: Set when results or properties were cut to keep the report small; says what was cut.
ANNOTATION_TRUNCATED = "netchecks.io/truncated"
#: On the report of a per-node run: how many nodes it covers.
ANNOTATION_NODES = "netchecks.io/nodes"
#: On the report of a per-node run: how many nodes have a result other than pass.
ANNOTATION_FAILING_NODE_COUNT = "netchecks.io/failing-node-count"
#: On the report of a per-node run: the first of those nodes (comma-separated, bounded).
ANNOTATION_FAILING_NODES = "netchecks.io/failing-nodes"
#: How many failing nodes :data:`ANNOTATION_FAILING_NODES` names at most.
MAX_FAILING_NODES_NAMED = 10


WG_V1ALPHA2 = Resource("wgpolicyk8s.io", "v1alpha2", "policyreports", "PolicyReport")
WG_V1BETA1 = Resource("wgpolicyk8s.io", "v1beta1", "policyreports", "PolicyReport")
OPENREPORTS_V1ALPHA1 = Resource("openreports.io", "v1alpha1", "reports", "Report")
WG_CLUSTER_V1ALPHA2 = Resource(
    "wgpolicyk8s.io", "v1alpha2", "clusterpolicyreports", "ClusterPolicyReport", False
)
WG_CLUSTER_V1BETA1 = Resource(
    "wgpolicyk8s.io", "v1beta1", "clusterpolicyreports", "ClusterPolicyReport", False
)
OPENREPORTS_CLUSTER_V1ALPHA1 = Resource(
    "openreports.io", "v1alpha1", "clusterreports", "ClusterReport", False
)
#: The report APIs without top-level ``source`` and ``configuration`` (the others,
#: v1beta1 and openreports.io, have them).
_WITHOUT_REPORT_SOURCE = frozenset({WG_V1ALPHA2, WG_CLUSTER_V1ALPHA2})


def has_report_source(api: Resource) -> bool:
    """Whether the report API has top-level ``source`` and ``configuration``."""
    return api not in _WITHOUT_REPORT_SOURCE


#: The namespaced report APIs a producer can write, by ``apiVersion``.
REPORT_APIS: dict[str, Resource] = {
    api.api_version: api for api in (WG_V1ALPHA2, WG_V1BETA1, OPENREPORTS_V1ALPHA1)
}
#: What Policy Reporter and most consumers read.
DEFAULT_REPORT_API = WG_V1ALPHA2


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True
    )


class Timestamp(_Model):
    """A ``metav1.Timestamp``: both keys are required by the schema."""

    seconds: int
    nanos: int = Field(default=0, ge=0, le=999_999_999)

    @classmethod
    def from_datetime(cls, moment: datetime) -> Timestamp:
        """The timestamp of an aware datetime (a naive one is taken as UTC)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - _EPOCH) // timedelta(seconds=1)
        return cls(seconds=seconds, nanos=moment.microsecond * 1000)

    def to_datetime(self) -> datetime:
        """The UTC datetime of this timestamp."""
        return datetime.fromtimestamp(self.seconds + self.nanos / 1e9, tz=UTC)


class ObjectReference(_Model):
    """What a report or result is about (a copy of core/v1 ObjectReference)."""

    api_version: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    field_path: str | None = None


class LabelSelectorRequirement(_Model):
    """One ``matchExpressions`` entry."""

    key: str
    operator: str
    values: list[str] | None = None


class LabelSelector(_Model):
    """A label selector (``scopeSelector``, ``resourceSelector``)."""

    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None


class Limits(_Model):
    """Limits agreed between producer and consumer."""

    max_results: int | None = None
    status_filter: list[ResultStatus] | None = None


class Configuration(_Model):
    """``configuration`` (v1beta1 and openreports only); ``limits`` is required."""

    limits: Limits


class ReportResult(_Model):
    """One result: ``policy`` is the only required key."""

    policy: str
    rule: str | None = None
    category: str | None = None
    severity: Severity | None = None
    result: ResultStatus | None = None
    scored: bool | None = None
    source: str | None = None
    timestamp: Timestamp | None = None
    message: str | None = None
    properties: dict[str, str] | None = None
    resources: list[ObjectReference] | None = None
    resource_selector: LabelSelector | None = None


def summarize(results: Iterable[ReportResult]) -> Summary:
    """Counts of results by outcome (results without an outcome are not counted)."""
    counts = dict.fromkeys(RESULT_STATUSES, 0)
    for result in results:
        if result.result is not None:
            counts[result.result] += 1
    return Summary.model_validate(counts)


class PolicyReport(_Model):
    """A report in any of the APIs; :meth:`to_api` gives the object for one of them."""

    api_version: str = DEFAULT_REPORT_API.api_version
    kind: str = DEFAULT_REPORT_API.kind
    metadata: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None
    scope: ObjectReference | None = None
    scope_selector: LabelSelector | None = None
    configuration: Configuration | None = None
    summary: Summary = Field(default_factory=Summary)
    results: list[ReportResult] = Field(default_factory=list)

    def to_api(self, api: Resource) -> dict[str, Any]:
        """The JSON object to send for ``api``: fields it lacks are left out."""
        body = self.model_dump(mode="json", exclude_none=True, by_alias=True)
        body["apiVersion"] = api.api_version
        body["kind"] = api.kind
        # Only counts above zero, as 0.10 wrote them (its users check "fail" not in summary).
        body["summary"] = {k: v for k, v in (body.get("summary") or {}).items() if v}
        if not has_report_source(api):
            body.pop("source", None)
            body.pop("configuration", None)
        return body

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> PolicyReport:
        """Read a report of any API back (unknown top-level keys are ignored)."""
        wire_names = {f.alias or n for n, f in cls.model_fields.items()}
        known = {k: v for k, v in body.items() if k in wire_names}
        return cls.model_validate(known)


def build_report(
    api: Resource,
    *,
    name: str,
    namespace: str | None,
    results: list[ReportResult],
    summary: Summary | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    owner_references: list[dict[str, Any]] | None = None,
    scope: ObjectReference | None = None,
    source: str = SOURCE,
    max_results: int | None = None,
) -> dict[str, Any]:
    """A report object ready to send: the summary defaults to the counts of ``results``."""
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None and api.namespaced:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = dict(labels)
    if annotations:
        metadata["annotations"] = dict(annotations)
    if owner_references:
        metadata["ownerReferences"] = [dict(ref) for ref in owner_references]
    report = PolicyReport(
        metadata=metadata,
        source=source,
        scope=scope,
        configuration=Configuration(limits=Limits(max_results=max_results))
        if max_results is not None
        else None,
        summary=summary if summary is not None else summarize(results),
        results=results,
    )
    return report.to_api(api)
