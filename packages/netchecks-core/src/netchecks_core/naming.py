"""Names, labels and annotations of the objects made for a NetworkAssertion (design.md).

Every child name is the assertion's name plus a fixed ``-netchecks...`` suffix
(users do not name their objects that way, and the operator never adopts an
object it does not own anyway), shortened with a stable hash when the result
would break a Kubernetes limit:

- CronJob: at most 52 characters (the CronJob controller appends ``-<minutes>``);
- Job and ConfigMap: at most 63 (the Job name becomes the ``job-name`` label value);
- Pods take ``<job>-`` plus 5 random characters (the API server trims the base).

The same assertion name always gives the same child names, and two names that
differ only after the cut get different hashes.
"""

from __future__ import annotations

import hashlib
import re

#: Label values and most names are at most 63 characters.
MAX_LABEL_VALUE = 63
#: CronJob names: 63 minus the 11 characters the CronJob controller appends.
MAX_CRONJOB_NAME = 52
#: Most object names (DNS subdomains, e.g. Events and NetworkAssertions) are at most 253.
MAX_SUBDOMAIN = 253

LABEL_NAME = "app.kubernetes.io/name"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_COMPONENT = "app.kubernetes.io/component"
#: The assertion's name (cut to a label value), as 0.10 labelled its objects.
LABEL_INSTANCE = "app.kubernetes.io/instance"
LABEL_VERSION = "app.kubernetes.io/version"
#: On PolicyReports, as 0.10 wrote it (with annotations ``category``, ``created-by``).
LABEL_POLICY_ENGINE = "policy.kubernetes.io/engine"
POLICY_ENGINE = "netcheck"
#: The annotations 0.10 put on PolicyReports (the version one holds ours).
REPORT_ANNOTATIONS_0_10 = {"category": "Network", "created-by": "netcheck"}
ANNOTATION_OPERATOR_VERSION = "netcheck-operator-version"
#: The owning assertion's uid (a label, so children and Pods can be selected by it).
LABEL_ASSERTION_UID = "netchecks.io/assertion-uid"
#: The owning assertion's name (an annotation: names can be longer than a label value).
ANNOTATION_ASSERTION = "netchecks.io/assertion"
#: The assertion's ``metadata.generation`` a child was made from.
ANNOTATION_GENERATION = "netchecks.io/assertion-generation"
#: On an assertion: set to any new value to run a scheduled assertion now.
ANNOTATION_RUN_NOW = "netchecks.io/run-now"
#: On a CronJob: the last ``run-now`` value acted on, so each value fires once.
ANNOTATION_LAST_RUN_NOW = "netchecks.io/last-run-now"
#: Hash of the desired child (operator's own change detection).
ANNOTATION_SPEC_HASH = "netchecks.io/spec-hash"
#: On the Jobs (and probe Pods) of a per-node run: which run (``g3``, ``now-…``, ``s…``).
LABEL_RUN_ID = "netchecks.io/run-id"
#: On the Jobs (and probe Pods) of a per-node run: the node the probe is pinned to.
ANNOTATION_NODE = "netchecks.io/node"
#: On a per-node Job whose node left the cluster before its probe gave a result.
ANNOTATION_NODE_GONE = "netchecks.io/node-gone"
#: On the Jobs of a scheduled per-node run: the schedule time it runs for (RFC 3339).
ANNOTATION_SCHEDULED_TIME = "netchecks.io/scheduled-time"

APP_NAME = "netchecks"
MANAGED_BY_OPERATOR = "netchecks-operator"
MANAGED_BY_RESULTS = "netchecks-results"
COMPONENT_PROBE = "probe"

#: Selects every object the operator made (and their Pods).
OPERATOR_SELECTOR = f"{LABEL_NAME}={APP_NAME},{LABEL_MANAGED_BY}={MANAGED_BY_OPERATOR}"
#: Selects probe Pods (what the results service watches).
PROBE_POD_SELECTOR = f"{LABEL_NAME}={APP_NAME},{LABEL_COMPONENT}={COMPONENT_PROBE}"

CONFIGMAP_SUFFIX = "-netchecks-config"
CRONJOB_SUFFIX = "-netchecks"
JOB_SUFFIX = "-netchecks"
_HASH_LEN = 8


def name_hash(text: str, length: int = _HASH_LEN) -> str:
    """A short stable hash of ``text`` (hex)."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def fit_name(base: str, suffix: str, limit: int) -> str:
    """``base + suffix`` if it fits in ``limit``, else ``base`` cut, a hash of it, and ``suffix``.

    The result is a valid DNS-1123 name when ``base`` is one: the cut never ends
    on ``-`` or ``.``.
    """
    if len(base) + len(suffix) <= limit:
        return base + suffix
    room = limit - len(suffix) - _HASH_LEN - 1
    if room < 1:
        raise ValueError(f"suffix {suffix!r} leaves no room in {limit} characters")
    head = re.sub(r"[-.]+$", "", base[:room]) or "x"
    return f"{head}-{name_hash(base)}{suffix}"


def configmap_name(assertion: str) -> str:
    """The ConfigMap holding the probe config."""
    return fit_name(assertion, CONFIGMAP_SUFFIX, MAX_LABEL_VALUE)


def cronjob_name(assertion: str) -> str:
    """The CronJob of a scheduled assertion (at most 52 characters)."""
    return fit_name(assertion, CRONJOB_SUFFIX, MAX_CRONJOB_NAME)


def job_name(assertion: str, generation: int) -> str:
    """The one-shot Job of an unscheduled assertion, one per spec generation."""
    return fit_name(assertion, f"{JOB_SUFFIX}-g{generation}", MAX_LABEL_VALUE)


def run_now_job_name(assertion: str, value: str) -> str:
    """The Job started by a ``netchecks.io/run-now`` annotation value."""
    return fit_name(assertion, f"{JOB_SUFFIX}-now-{name_hash(value, 6)}", MAX_LABEL_VALUE)


def node_run_job_name(assertion: str, run_id: str, node: str) -> str:
    """The Job of one node in a per-node run (``run_id`` as in :data:`LABEL_RUN_ID`)."""
    return fit_name(assertion, f"{JOB_SUFFIX}-{run_id}-{name_hash(node, 6)}", MAX_LABEL_VALUE)


def event_name(regarding: str, moment_ns: int) -> str:
    """The name of an Event about the object named ``regarding``, at ``moment_ns``.

    ``<name>.<nanoseconds in hex>`` as kubectl's recorders name them; a name too
    long for that (over 236 characters) is shortened with a stable hash.
    """
    return fit_name(regarding, f".{moment_ns:x}", MAX_SUBDOMAIN)


def policy_report_name(assertion: str) -> str:
    """The PolicyReport of an assertion: named after it, as existing dashboards expect."""
    return assertion


def child_labels(assertion_uid: str, managed_by: str = MANAGED_BY_OPERATOR) -> dict[str, str]:
    """Labels on every object made for an assertion."""
    return {
        LABEL_NAME: APP_NAME,
        LABEL_MANAGED_BY: managed_by,
        LABEL_ASSERTION_UID: assertion_uid,
    }


def instance_label(assertion: str) -> str:
    """The ``app.kubernetes.io/instance`` value of an assertion's objects: its name,
    shortened with a hash when longer than a label value."""
    return fit_name(assertion, "", MAX_LABEL_VALUE)


def version_label(version: str) -> str:
    """``version`` as a label value (``+`` and other characters a label refuses -> ``-``)."""
    value = re.sub(r"[^A-Za-z0-9._-]", "-", version)[:MAX_LABEL_VALUE]
    return value.strip("-._") or "unknown"


def probe_pod_labels(assertion_uid: str) -> dict[str, str]:
    """Labels on probe Pods (through the Job's pod template)."""
    return {**child_labels(assertion_uid), LABEL_COMPONENT: COMPONENT_PROBE}


def child_annotations(assertion: str, generation: int | None = None) -> dict[str, str]:
    """Annotations on every object made for an assertion (and on probe Pods)."""
    annotations = {ANNOTATION_ASSERTION: assertion}
    if generation is not None:
        annotations[ANNOTATION_GENERATION] = str(generation)
    return annotations
