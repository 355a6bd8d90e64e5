"""The pure reconcile plan: every spec field maps to the right children and status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from netchecks_core import naming
from netchecks_operator import __version__
from netchecks_operator.errors import NameTakenError
from netchecks_operator.plan import Observed, Plan, plan
from netchecks_operator.plan_model import Action
from netchecks_operator.podtemplate import CONFIG_PATH, PROBE_CONTAINER
from netchecks_operator.settings import OperatorSettings
from netchecks_operator.status import status_changed

from tools.builders import AssertionBuilder

NOW = "2026-02-02T10:00:00Z"
SETTINGS = OperatorSettings()


def run(obj: dict[str, Any], **observed: Any) -> Plan:
    return plan(Observed(assertion=obj, **observed), SETTINGS.plan_settings(), NOW)


def by(result: Plan, verb: str, kind: str) -> list[Action]:
    return [a for a in result.actions if a.verb == verb and a.kind == kind]


def stored(action: Action, uid: str = "child-uid") -> dict[str, Any]:
    assert action.body is not None
    obj: dict[str, Any] = json.loads(json.dumps(action.body))
    obj["metadata"].update(uid=uid, resourceVersion="20", creationTimestamp=NOW)
    return obj


def pod_spec(result: Plan) -> dict[str, Any]:
    job = (by(result, "create", "Job") or by(result, "create", "CronJob"))[0].body
    assert job is not None
    spec = job["spec"]
    job_spec = spec["jobTemplate"]["spec"] if "jobTemplate" in spec else spec
    template: dict[str, Any] = job_spec["template"]
    return template


def probe(result: Plan) -> dict[str, Any]:
    containers = pod_spec(result)["spec"]["containers"]
    return next(c for c in containers if c["name"] == PROBE_CONTAINER)


def test_new_unscheduled_assertion_gets_a_configmap_then_a_job_and_progressing_status() -> None:
    obj = AssertionBuilder("web").with_http("http://example/").stored()
    result = run(obj)
    assert [str(a) for a in result.actions] == [
        "create ConfigMap web-netchecks-config",
        "create Job web-netchecks-g1",
    ]
    assert result.status is not None
    assert result.status["observedGeneration"] == 1
    assert result.status["jobName"] == "web-netchecks-g1"
    cond = result.status["conditions"][0]
    assert (cond["type"], cond["status"], cond["reason"]) == (
        "Reconciled",
        "Unknown",
        "Progressing",
    )
    assert cond["lastTransitionTime"] == NOW


def test_configmap_holds_the_probe_config_one_assertion_per_rule() -> None:
    obj = (
        AssertionBuilder("web")
        .with_http("http://a/")
        .with_dns("b.test")
        .with_context("inline", inline={"x": 1})
        .stored()
    )
    cm = by(run(obj), "create", "ConfigMap")[0].body
    assert cm is not None
    config = json.loads(cm["data"]["config.json"])
    assert [a["name"] for a in config["assertions"]] == ["http-0", "dns-1"]
    assert config["contexts"] == [{"name": "inline", "type": "inline", "data": {"x": 1}}]


def test_children_carry_owner_reference_labels_and_annotations() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored(uid="u-9")
    for action in run(obj).actions:
        meta = action.body["metadata"]  # type: ignore[index]
        assert meta["ownerReferences"] == [
            {
                "apiVersion": "netchecks.io/v1",
                "kind": "NetworkAssertion",
                "name": "web",
                "uid": "u-9",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        assert meta["labels"][naming.LABEL_ASSERTION_UID] == "u-9"
        assert meta["labels"][naming.LABEL_MANAGED_BY] == "netchecks-operator"
        assert meta["annotations"][naming.ANNOTATION_ASSERTION] == "web"


def test_probe_pod_is_locked_down_and_runs_the_probe_command() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored(uid="u-1")
    result = run(obj)
    template = pod_spec(result)
    spec = template["spec"]
    assert template["metadata"]["labels"] == {
        **naming.probe_pod_labels("u-1"),
        naming.LABEL_INSTANCE: "web",
        naming.LABEL_VERSION: __version__,
    }
    assert spec["restartPolicy"] == "Never"
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    container = probe(result)
    assert container["command"] == [
        "netchecks",
        "run",
        "--config",
        CONFIG_PATH,
        "--exit-zero",
        "--run-timeout",
        str(32),  # the http rule's default timeout (30 s) and its slack (2 s)
    ]
    assert container["image"] == f"ghcr.io/netchecks/netchecks-probe:{SETTINGS.probe_image_tag}"
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["resources"]["requests"] == {"cpu": "50m", "memory": "64Mi"}


def test_disable_redaction_adds_the_flag() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored()
    obj["spec"]["disableRedaction"] = True
    assert probe(run(obj))["command"][-1] == "--disable-redaction"


def test_job_defaults_backoff_deadline_from_timeouts_and_no_ttl() -> None:
    obj = (
        AssertionBuilder("web").with_http("http://a/", timeout=40).with_dns("x", timeout=5).stored()
    )
    job = by(run(obj), "create", "Job")[0].body
    assert job is not None
    assert job["spec"]["backoffLimit"] == 2
    # The longest rule: its timeout and the attempt's slack (2 s); then the margin.
    assert job["spec"]["activeDeadlineSeconds"] == 42 + SETTINGS.run_deadline_margin
    assert "ttlSecondsAfterFinished" not in job["spec"]  # removed once its result is taken


def test_schedule_makes_a_forbid_cronjob_with_deadline_and_history_and_no_ttl() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").with_spec(schedule="*/5 * * * *").stored()
    result = run(obj)
    assert [str(a) for a in result.actions] == [
        "create ConfigMap web-netchecks-config",
        "create CronJob web-netchecks",
    ]
    cron = result.actions[1].body
    assert cron is not None
    spec = cron["spec"]
    assert spec["schedule"] == "*/5 * * * *"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] == 300
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 1)
    assert "ttlSecondsAfterFinished" not in spec["jobTemplate"]["spec"]
    assert spec["jobTemplate"]["metadata"]["annotations"][naming.ANNOTATION_ASSERTION] == "web"


def test_applied_plan_is_a_fixed_point_no_more_writes_and_no_status_write() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").with_spec(schedule="@hourly").stored()
    first = run(obj)
    obj["status"] = first.status
    second = run(obj, configmap=stored(first.actions[0]), cronjob=stored(first.actions[1]))
    assert second.actions == []
    assert not status_changed(obj, second.status)


def test_spec_change_replaces_the_cronjob_and_configmap_in_place() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").with_spec(schedule="@hourly").stored()
    first = run(obj)
    changed = (
        AssertionBuilder("web")
        .with_http("http://b/")
        .with_spec(schedule="@daily")
        .stored(generation=2)
    )
    result = run(changed, configmap=stored(first.actions[0]), cronjob=stored(first.actions[1]))
    assert [str(a) for a in result.actions] == [
        "replace ConfigMap web-netchecks-config",
        "replace CronJob web-netchecks",
    ]
    assert all(a.body["metadata"]["resourceVersion"] == "20" for a in result.actions)  # type: ignore[index]


def test_new_generation_without_schedule_runs_a_new_job_and_deletes_the_old_one() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored()
    first = run(obj)
    old_job = stored(first.actions[1], uid="job-1")
    changed = (
        AssertionBuilder("web").with_http("http://b/").stored(generation=2, **first.status or {})
    )
    result = run(changed, configmap=stored(first.actions[0]), jobs=[old_job])
    assert [str(a) for a in result.actions] == [
        "replace ConfigMap web-netchecks-config",
        "create Job web-netchecks-g2",
        "delete Job web-netchecks-g1",
    ]
    assert by(result, "delete", "Job")[0].uid == "job-1"


def test_a_finished_one_shot_job_cleaned_up_by_ttl_is_not_run_again() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored()
    first = run(obj)
    obj["status"] = first.status
    result = run(obj, configmap=stored(first.actions[0]), jobs=[])
    assert result.actions == []


def test_adding_a_schedule_deletes_one_shot_jobs_and_removing_it_deletes_the_cronjob() -> None:
    once = AssertionBuilder("web").with_http("http://a/").stored()
    first = run(once)
    job = stored(first.actions[1], uid="job-1")
    cm = stored(first.actions[0])
    scheduled = (
        AssertionBuilder("web")
        .with_http("http://a/")
        .with_spec(schedule="@hourly")
        .stored(generation=2)
    )
    result = run(scheduled, configmap=cm, jobs=[job])
    assert [str(a) for a in result.actions if a.kind != "ConfigMap"] == [
        "create CronJob web-netchecks",
        "delete Job web-netchecks-g1",
    ]
    cron = stored(by(result, "create", "CronJob")[0], uid="cj-1")
    unscheduled = AssertionBuilder("web").with_http("http://a/").stored(generation=3)
    back = run(unscheduled, configmap=cm, cronjob=cron)
    assert "delete CronJob web-netchecks" in [str(a) for a in back.actions]
    assert "create Job web-netchecks-g3" in [str(a) for a in back.actions]


def test_run_now_annotation_starts_one_job_and_is_remembered_on_the_cronjob() -> None:
    obj = (
        AssertionBuilder("web")
        .with_http("http://a/")
        .with_spec(schedule="@hourly")
        .with_annotations(**{"netchecks.io__run_now": "1"})
        .stored()
    )
    first = run(obj)
    now_jobs = by(first, "create", "Job")
    assert len(now_jobs) == 1 and now_jobs[0].name == naming.run_now_job_name("web", "1")
    cron = stored(by(first, "create", "CronJob")[0])
    assert cron["metadata"]["annotations"][naming.ANNOTATION_LAST_RUN_NOW] == "1"
    again = run(obj, configmap=stored(first.actions[0]), cronjob=cron)
    assert again.actions == []


def test_long_names_give_children_within_limits() -> None:
    name = "a" * 200
    result = run(
        AssertionBuilder(name).with_http("http://a/").with_spec(schedule="@hourly").stored()
    )
    assert all(len(a.name) <= 63 for a in result.actions)
    assert len(by(result, "create", "CronJob")[0].name) <= 52


def test_context_volumes_keep_items_optional_and_default_mode_and_mount_read_only() -> None:
    obj = (
        AssertionBuilder("web")
        .with_internal()
        .with_context(
            "cfg",
            configMap={
                "name": "my-cm",
                "items": [{"key": "a", "path": "a.txt"}],
                "optional": True,
                "defaultMode": 0o440,
            },
        )
        .with_context("creds", secret={"name": "my-secret"})
        .stored()
    )
    result = run(obj)
    volumes = {v["name"]: v for v in pod_spec(result)["spec"]["volumes"]}
    assert volumes["ctx-cfg"]["configMap"] == {
        "name": "my-cm",
        "items": [{"key": "a", "path": "a.txt"}],
        "optional": True,
        "defaultMode": 0o440,
    }
    assert volumes["ctx-creds"]["secret"] == {"secretName": "my-secret"}
    mounts = {m["mountPath"]: m for m in probe(result)["volumeMounts"]}
    assert mounts["/mnt/cfg"]["readOnly"] is True and mounts["/mnt/creds"]["readOnly"] is True
    config = json.loads(by(result, "create", "ConfigMap")[0].body["data"]["config.json"])  # type: ignore[index]
    assert {"name": "creds", "type": "directory", "path": "/mnt/creds", "secret": True} in (
        config["contexts"]
    )


def test_context_names_with_underscores_become_valid_volume_names() -> None:
    obj = (
        AssertionBuilder("web")
        .with_internal()
        .with_context("my_cfg", configMap={"name": "c"})
        .stored()
    )
    names = [v["name"] for v in pod_spec(run(obj))["spec"]["volumes"]]
    assert all(n.replace("-", "").isalnum() and n.islower() for n in names)


def test_template_overrides_merge_like_kubernetes_but_cannot_remove_the_probe() -> None:
    obj = (
        AssertionBuilder("web")
        .with_http("http://a/")
        .with_spec(
            template={
                "metadata": {"labels": {"app": "payments"}, "annotations": {"x": "y"}},
                "spec": {
                    "serviceAccountName": "checker",
                    "nodeSelector": {"zone": "a"},
                    "tolerations": [{"key": "k", "operator": "Exists"}],
                    "containers": [
                        {
                            "name": "netcheck",
                            "command": ["sh", "-c", "evil"],
                            "resources": {"limits": {"memory": "1Gi"}},
                            "env": [{"name": "A", "value": "1"}],
                        },
                        {"name": "sidecar", "image": "busybox"},
                    ],
                    "volumes": [{"name": "netchecks-config", "emptyDir": {}}],
                },
            }
        )
        .stored(uid="u-1")
    )
    result = run(obj)
    template = pod_spec(result)
    spec = template["spec"]
    assert template["metadata"]["labels"]["app"] == "payments"
    assert template["metadata"]["labels"][naming.LABEL_ASSERTION_UID] == "u-1"
    assert template["metadata"]["annotations"]["x"] == "y"
    assert spec["serviceAccountName"] == "checker"
    assert spec["automountServiceAccountToken"] is True  # asked for a service account
    assert spec["nodeSelector"] == {"zone": "a"}
    assert spec["tolerations"] == [{"key": "k", "operator": "Exists"}]
    container = probe(result)
    assert container["command"][:2] == ["netchecks", "run"]
    assert container["resources"]["limits"]["memory"] == "1Gi"
    assert container["resources"]["requests"]["cpu"] == "50m"
    assert container["env"] == [{"name": "A", "value": "1"}]
    assert [c["name"] for c in spec["containers"]] == ["netcheck", "sidecar"]
    config = next(v for v in spec["volumes"] if v["name"] == "netchecks-config")
    assert "configMap" in config and "emptyDir" not in config


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"name": "r", "type": "http"}, "spec.rules[0].url: is required"),
        (
            {"name": "bad-cel", "type": "internal", "validate": {"pattern": "data.x =="}},
            "spec.rules[0].validate.pattern: invalid CEL",
        ),
        (
            {"name": "bad-tpl", "type": "http", "url": "http://{{ a. }}/"},
            "spec.rules[0].url: template '{{ a. }}'",
        ),
        ({"name": "t", "type": "nosuch"}, "spec.rules[0]: unknown type"),
        ({"name": "p", "type": "tcp", "host": "h", "port": 70000}, "spec.rules[0].port"),
    ],
)
def test_invalid_spec_creates_nothing_and_names_the_field_path(
    rule: dict[str, Any], expected: str
) -> None:
    obj = AssertionBuilder("web").with_spec(rules=[rule]).stored()
    result = run(obj)
    assert result.actions == []
    assert result.status is not None
    cond = result.status["conditions"][0]
    assert (cond["status"], cond["reason"]) == ("False", "InvalidSpec")
    assert expected in cond["message"]
    assert result.events[0].reason == "InvalidSpec"


def test_templated_port_is_not_an_error_before_rendering() -> None:
    obj = (
        AssertionBuilder("web")
        .with_rule("tcp", host="h", port="{{ c.port }}")
        .with_context("c", inline={"port": 80})
        .stored()
    )
    assert run(obj).invalid == []


def test_invalid_schedule_and_bad_template_shape_are_invalid_spec() -> None:
    bad_cron = AssertionBuilder("a").with_internal().with_spec(schedule="every minute").stored()
    assert "schedule" in run(bad_cron).status["conditions"][0]["message"]  # type: ignore[index]
    bad_tpl = AssertionBuilder("a").with_internal().with_spec(template={"containers": []}).stored()
    assert "spec.template" in run(bad_tpl).status["conditions"][0]["message"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("template", "where"),
    [
        ({"metadata": {"labels": "x"}}, "spec.template.metadata.labels"),
        ({"metadata": {"annotations": [1]}}, "spec.template.metadata.annotations"),
        ({"spec": {"volumes": "x"}}, "spec.template.spec.volumes"),
        ({"spec": {"volumes": ["x"]}}, "spec.template.spec.volumes"),
        (
            {"spec": {"containers": [{"name": "netcheck", "volumeMounts": "x"}]}},
            "spec.template.spec.containers[netcheck].volumeMounts",
        ),
        (
            {"spec": {"containers": [{"name": "netcheck", "volumeMounts": [1]}]}},
            "spec.template.spec.containers[netcheck].volumeMounts",
        ),
    ],
)
def test_template_fields_of_the_wrong_shape_are_invalid_spec_not_a_crash(
    template: dict[str, Any], where: str
) -> None:
    obj = AssertionBuilder("a").with_internal().with_spec(template=template).stored()
    result = run(obj)
    assert result.actions == []
    assert result.status is not None
    cond = result.status["conditions"][0]
    assert (cond["status"], cond["reason"]) == ("False", "InvalidSpec")
    assert where in cond["message"]


def test_report_summary_becomes_probe_complete_status() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored(uid="u-1")
    first = run(obj)
    report = _report_of(1, summary={"pass": 3, "fail": 1}, owner_uid="u-1")
    obj["status"] = first.status
    result = run(obj, configmap=stored(first.actions[0]), report=report)
    assert result.status is not None
    assert result.status["summary"] == {"pass": 3, "fail": 1, "warn": 0, "error": 0, "skip": 0}
    assert result.status["lastResultTime"] == "2026-01-01T00:00:00Z"
    cond = result.status["conditions"][0]
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "True",
        "ProbeComplete",
        "3 pass, 1 fail",
    )
    assert cond["lastTransitionTime"] == NOW  # status stayed True: time kept from before


def test_transition_time_is_kept_while_status_is_unchanged() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored()
    obj["status"] = {
        "conditions": [
            {
                "type": "Reconciled",
                "status": "Unknown",
                "reason": "Progressing",
                "lastTransitionTime": "2020-01-01T00:00:00Z",
            }
        ]
    }
    cond = run(obj).status["conditions"][0]  # type: ignore[index]
    assert cond["lastTransitionTime"] == "2020-01-01T00:00:00Z"


def test_failed_job_gives_a_probe_failed_event() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored()
    first = run(obj)
    job = stored(first.actions[1])
    job["status"] = {
        "conditions": [
            {
                "type": "Failed",
                "status": "True",
                "reason": "DeadlineExceeded",
                "message": "too slow",
            }
        ]
    }
    result = run(obj, configmap=stored(first.actions[0]), jobs=[job])
    assert any(e.reason == "ProbeFailed" and "too slow" in e.message for e in result.events)


def test_a_child_name_taken_by_a_user_object_is_refused() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored(uid="u-1")
    users = {"metadata": {"name": "web-netchecks-config", "uid": "x", "resourceVersion": "1"}}
    with pytest.raises(NameTakenError, match="not owned"):
        run(obj, configmap=users)


def test_deleting_assertion_plans_nothing() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored()
    obj["metadata"]["deletionTimestamp"] = NOW
    assert run(obj).actions == [] and run(obj).status is None


def test_report_of_a_run_without_result_becomes_result_parse_error_status() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored(uid="u-1")
    first = run(obj)
    report = {
        "metadata": {
            "name": "web",
            "annotations": {
                "netchecks.io/run-failure": "oom-killed",
                "netchecks.io/assertion-generation": "1",
            },
        },
        "summary": {"error": 1},
        "results": [{"message": "no result: the probe Pod web-1 was killed (OOMKilled)"}],
    }
    obj["status"] = first.status
    result = run(obj, configmap=stored(first.actions[0]), report=report)
    assert result.status is not None
    cond = result.status["conditions"][0]
    assert cond["reason"] == "ResultParseError"
    assert "OOMKilled" in cond["message"]
    assert result.status["summary"]["error"] == 1


def _run_timeout(result: Plan) -> int:
    command = probe(result)["command"]
    return int(command[command.index("--run-timeout") + 1])


def _active_deadline(result: Plan) -> int:
    job = by(result, "create", "Job")[0].body
    assert job is not None
    return int(job["spec"]["activeDeadlineSeconds"])


def test_a_long_rule_gets_a_run_timeout_at_least_its_timeout_and_the_pod_that_plus_margin() -> None:
    result = run(AssertionBuilder("slow").with_http("http://a/", timeout=1200).stored())
    assert _run_timeout(result) >= 1200
    assert _active_deadline(result) == _run_timeout(result) + SETTINGS.run_deadline_margin


def test_retries_and_their_delays_count_in_the_run_timeout() -> None:
    rule = {"timeout": 10, "retries": 2, "retry-delay": 5}
    result = run(AssertionBuilder("flaky").with_http("http://a/", **rule).stored())
    assert _run_timeout(result) == (10 + 2) * 3 + 5 * 2


def test_a_templated_timeout_counts_as_the_models_upper_bound() -> None:
    obj = (
        AssertionBuilder("t")
        .with_context("cfg", inline={"timeout": 7})
        .with_http("http://a/", timeout="{{ cfg.timeout }}")
        .stored()
    )
    result = run(obj)
    assert by(result, "create", "Job"), result.invalid
    assert _run_timeout(result) == 3600 + 2  # RuleBase.timeout: le=3600, plus the slack
    assert _active_deadline(result) == 3602 + SETTINGS.run_deadline_margin


def test_more_rules_than_the_probe_runs_at_once_run_in_waves() -> None:
    builder = AssertionBuilder("many")
    for index in range(33):
        builder.with_dns(f"h{index}.test", timeout=3)
    assert _run_timeout(run(builder.stored())) == 2 * (3 + 2)


def test_errors_in_the_report_are_counted_as_errors_in_the_status() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored(uid="u-1")
    first = run(obj)
    report = _report_of(1, summary={"pass": 1, "error": 2}, owner_uid="u-1")  # this spec's run
    obj["status"] = first.status
    result = run(obj, configmap=stored(first.actions[0]), report=report)
    assert result.status is not None
    assert result.status["summary"] == {"pass": 1, "fail": 0, "warn": 0, "error": 2, "skip": 0}
    assert result.status["conditions"][0]["message"] == "1 pass, 2 error"


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize("depth", [500, 1200, 100_000])
def test_deeply_nested_inline_context_is_an_invalid_spec_not_a_crash(depth: int) -> None:
    # Walked recursively later (templates, the probe config, hashes): refused first.
    obj = (
        AssertionBuilder("deep").with_rule("internal", "r").with_context("data", inline=1).stored()
    )
    obj["spec"]["context"][0]["inline"] = _nested(depth)  # the builder copies recursively
    result = run(obj)
    assert result.actions == []
    assert result.status is not None
    cond = result.status["conditions"][0]
    assert (cond["status"], cond["reason"]) == ("False", "InvalidSpec")
    assert "spec.context[0].inline.k" in cond["message"] and "deeper than 100" in cond["message"]


def _report_of(
    generation: int,
    job: dict[str, Any] | None = None,
    run_time: str = NOW,
    *,
    summary: dict[str, int] | None = None,
    owner_uid: str | None = None,
) -> Any:
    """The web assertion's report of one generation's run (of ``job``, when given)."""
    annotations = {"netchecks.io/assertion-generation": str(generation)}
    if job is not None:
        annotations["netchecks.io/job-uid"] = job["metadata"]["uid"]
        annotations["netchecks.io/run-time"] = run_time
    metadata: dict[str, Any] = {"name": "web", "annotations": annotations}
    if owner_uid is not None:
        metadata["ownerReferences"] = [{"uid": owner_uid}]
    return {
        "metadata": metadata,
        "summary": summary or {"pass": 1},
        "results": [{"timestamp": {"seconds": 1767225600, "nanos": 0}}],
    }


def test_report_of_an_earlier_generation_is_not_shown_as_the_current_status() -> None:
    # The old generation's ProbeComplete must not be claimed for the new spec.
    obj = AssertionBuilder("web").with_http("http://a/").stored(generation=2)
    result = run(obj, report=_report_of(1))
    assert result.status is not None
    cond = result.status["conditions"][0]
    assert (cond["reason"], cond["message"]) == (
        "Progressing",
        "waiting for the results of generation 2",
    )
    assert "summary" not in result.status and "lastResultTime" not in result.status
    shown = run(obj, report=_report_of(2)).status
    assert shown is not None and shown["summary"]["pass"] == 1


def _finished_job(obj: dict[str, Any], finished: str = NOW, done: bool = True) -> dict[str, Any]:
    fresh = {**obj, "status": {}}  # as before its first run
    job = stored(by(run(fresh), "create", "Job")[0], uid="job-uid-1")
    if done:
        job["status"] = {
            "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": finished}]
        }
    return job


def test_one_shot_jobs_have_no_ttl_and_stay_until_their_result_is_taken() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored()
    job = _finished_job(obj)
    obj["status"] = {"jobName": job["metadata"]["name"]}
    assert by(run(obj, jobs=[job]), "delete", "Job") == []  # results service not there yet
    taken = run(obj, jobs=[job], report=_report_of(1, job))
    assert [a.name for a in by(taken, "delete", "Job")] == [job["metadata"]["name"]]
    assert by(taken, "create", "Job") == [], "a taken run is not run again"
    assert all(e.reason != "Deleted" for e in taken.events), "cleanup is not news"
    running = _finished_job(obj, done=False)
    assert by(run(obj, jobs=[running], report=_report_of(1, running)), "delete", "Job") == []


def test_a_job_is_removed_when_the_report_shows_a_newer_run_or_after_the_max_age() -> None:
    obj = AssertionBuilder("web").with_http("http://a/").stored()
    job = _finished_job(obj)
    obj["status"] = {"jobName": job["metadata"]["name"]}
    newer = {"metadata": {"uid": "other-job"}}
    later = "2026-02-02T10:00:05Z"  # the report's run was made after this Job
    assert by(run(obj, jobs=[job], report=_report_of(1, newer, later)), "delete", "Job")
    age = SETTINGS.job_ttl_seconds
    young = _finished_job(obj, finished=NOW)
    old = _finished_job(obj, finished="2020-01-01T00:00:00Z")
    assert by(run(obj, jobs=[young]), "delete", "Job") == []
    assert by(run(obj, jobs=[old]), "delete", "Job"), f"unread runs go after {age} s"
