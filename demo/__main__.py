"""The local demo: the whole system on a simulated cluster, in under a minute.

    python3 dev.py demo [--keep] [-v]       (or: .venv/bin/python -m demo)

Starts kubesim (tools/kubesim: a simulated Kubernetes API server, Job and CronJob
controllers, and a kubelet running probe Pods from this virtualenv), installs the
CRDs, starts netchecks-operator and netchecks-results as real processes with a
kubeconfig, starts local stand-ins for the services the examples check, applies the
example NetworkAssertions of examples/manifests (pointed at the stand-ins; scheduled
ones are run at once with the netchecks.io/run-now annotation), waits for their
PolicyReports and prints every rule's result. Exits 0 only when every rule reached
its expected result; stops everything it started, also on Ctrl-C. With --keep it
keeps running until Ctrl-C, with a kubeconfig to point kubectl at.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from netchecks_service.errors import KubeError
from netchecks_service.kube import KubeApi

from demo import cluster, examples
from demo.processes import DemoError, Supervisor
from demo.table import Row, hints, result_node, table
from demo.targets import DemoTargets
from tools.kubesim.kubelet import effective_mount_mode

#: Seconds to wait for every PolicyReport.
REPORT_TIMEOUT = 45.0


class Progress:
    """Timestamped progress lines on stdout."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        self.out.write(f"[{time.monotonic() - self.started:5.1f}s] {text}\n")
        self.out.flush()


def _terminate(signum: int, frame: FrameType | None) -> None:
    del frame
    raise KeyboardInterrupt(signal.Signals(signum).name)


#: What users type to wait for results; the demo's own wait (above) reads the same condition.
WAIT_READY = ("wait", "--for=condition=Ready", "nas", "--all", "-A", "--timeout=60s")


def assertion_state(api: KubeApi, namespace: str, name: str, rules: int) -> tuple[bool, str]:
    """(done, what it is waiting for) of one assertion; raises when it cannot finish.

    Done is what ``kubectl wait --for=condition=Ready`` waits for: the Ready condition
    True, so the run's PolicyReport is published.
    """
    assertion = cluster.get_assertion(api, namespace, name)
    conditions = (assertion.get("status") or {}).get("conditions") or []
    ready: dict[str, Any] = next((c for c in conditions if c.get("type") == "Ready"), {})
    reason, message = ready.get("reason"), ready.get("message", "")
    if reason in ("InvalidSpec", "ResultParseError", "ReconcileError"):
        raise DemoError(
            f"{namespace}/{name} is {reason}: {message} "
            f"(kubectl describe nas {name} -n {namespace})"
        )
    report = cluster.get_report(api, namespace, name)
    results = len((report or {}).get("results") or [])
    if report is not None and results == rules and ready.get("status") == "True":
        return True, f"PolicyReport written, Ready ({reason}): {message}"
    if report is not None:
        return False, f"the status (PolicyReport written, {results} of {rules} rules)"
    if reason is None:
        return False, "the operator to reconcile it"
    return (
        False,
        f"its PolicyReport (Ready {ready.get('status')}, {reason}: {message or 'waiting'})",
    )


def run(args: argparse.Namespace, out: TextIO, workdir: Path, supervisor: Supervisor) -> int:
    progress = Progress(out)
    kubeconfig = workdir / "kubeconfig"
    progress.say("starting local stand-ins: HTTP APIs, DNS (dnsmasq), TCP listeners, a closed port")
    with DemoTargets() as targets:
        stand_ins = targets.stand_ins()
        progress.say("starting kubesim (simulated Kubernetes: API server, controllers, kubelet)")
        if effective_mount_mode("auto") != "namespace":
            progress.say(
                "note: without root and `unshare`, kubesim cannot mount ConfigMaps and Secrets "
                "where probe Pods read them (/mnt/<context>): the contexts example will show "
                "errors. Run the demo as root (e.g. in a container) to see it pass."
            )
        cluster.start_kubesim(supervisor, kubeconfig)
        api = cluster.api_client(kubeconfig)
        crds = cluster.install_crds(api, supervisor)
        progress.say(f"installed the CRDs: {', '.join(crds)}")
        cluster.ensure_namespace(api, cluster.SYSTEM_NAMESPACE)
        cluster.register_nodes(api, examples.DEMO_NODES, examples.DEMO_NODE_LABELS)
        progress.say(f"registered worker nodes {', '.join(examples.DEMO_NODES)}")
        services = [
            cluster.start_service(supervisor, command, kubeconfig)
            for command in ("netchecks-operator", "netchecks-results")
        ]
        progress.say("starting netchecks-operator and netchecks-results (real processes)")
        for service in services:
            cluster.wait_for(f"{service.command} to be ready", service.ready, 30, supervisor)
            progress.say(f"{service.command} ready: /readyz, /metrics on {service.url}")

        applied: list[tuple[str, str, int]] = []
        for file_name in examples.DEMO_MANIFESTS:
            manifest = examples.load(file_name)
            meta = manifest["metadata"]
            for obj in examples.context_objects(manifest, stand_ins):
                cluster.apply(api, obj)
                progress.say(
                    f"created {obj['kind']} {meta['namespace']}/{obj['metadata']['name']} "
                    "(demo values for the context)"
                )
            cluster.apply(api, examples.localize(manifest, stand_ins))
            progress.say(
                f"applied examples/manifests/{file_name}: {meta['namespace']}/{meta['name']}"
            )
            if manifest["spec"].get("schedule"):
                value = str(int(time.time()))
                cluster.run_now(api, meta["namespace"], meta["name"], value)
                progress.say(
                    f"  scheduled ({manifest['spec']['schedule']}): kubectl annotate nas "
                    f"{meta['name']} -n {meta['namespace']} netchecks.io/run-now={value}"
                )
            applied.append((meta["namespace"], meta["name"], examples.expected_results(manifest)))

        waiting = {(ns, name): "" for ns, name, _ in applied}
        rules = {(ns, name): count for ns, name, count in applied}
        deadline = time.monotonic() + REPORT_TIMEOUT
        while waiting:
            supervisor.check()
            if time.monotonic() > deadline:
                late = ", ".join(f"{ns}/{name}" for ns, name in waiting)
                raise DemoError(
                    f"no complete PolicyReport after {REPORT_TIMEOUT:.0f}s for {late}; "
                    f"see the logs in {workdir}"
                )
            for key in list(waiting):
                done, what = assertion_state(api, *key, rules[key])
                if what != waiting[key]:
                    verb = "" if done else "waiting for "
                    progress.say(f"{key[0]}/{key[1]}: {verb}{what}")
                    waiting[key] = what
                if done:
                    del waiting[key]
            time.sleep(0.2)

        for command in (WAIT_READY, ("get", "nas", "-A")):
            printed = cluster.kubectl(kubeconfig, workdir, *command)
            out.write(f"\n$ kubectl {' '.join(command)}\n{printed}\n")
        rows = []
        for namespace, name, _ in applied:
            report = cluster.get_report(api, namespace, name) or {}
            for result in report.get("results") or []:
                rows.append(
                    Row(
                        namespace=namespace,
                        assertion=name,
                        rule=result.get("rule", ""),
                        node=result_node(result),
                        type=result.get("category", ""),
                        result=result.get("result", ""),
                        expected=examples.expected_result(name, result.get("rule", "")),
                        message=result.get("message") or "",
                    )
                )
        seconds = time.monotonic() - progress.started
        out.write("\n" + table(rows) + "\n\n")
        unexpected = [r for r in rows if not r.as_expected]
        out.write(
            f"{len(rows)} results in {len(applied)} NetworkAssertions, {seconds:.1f}s: "
            f"{len(rows) - len(unexpected)} as expected, {len(unexpected)} not\n\n"
        )
        if args.keep:
            out.write(hints(applied, kubeconfig, services, workdir) + "\n")
        else:
            out.write(
                "To look around, run `python3 dev.py demo --keep` and, in another terminal, "
                "`kubectl get nas -A` with the kubeconfig it prints.\n"
            )
        out.write("demo OK\n" if not unexpected else "demo FAILED\n")
        if args.keep:
            out.write("\nEverything keeps running. Press Ctrl-C to stop it all.\n")
            out.flush()
            while True:
                supervisor.check()
                threading.Event().wait(1.0)
        return 0 if not unexpected else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep everything running until Ctrl-C")
    args = parser.parse_args(argv)
    out = sys.stdout
    signal.signal(signal.SIGTERM, _terminate)
    workdir = Path(tempfile.mkdtemp(prefix="netchecks-demo-"))
    supervisor = Supervisor(workdir)
    failed = True
    try:
        code = run(args, out, workdir, supervisor)
        failed = code != 0
    except DemoError as error:
        out.write(f"\ndemo: error: {error}\n")
        code = 1
    except KubeError as error:
        out.write(f"\ndemo: error: the API server refused a request: {error} (see {workdir})\n")
        code = 1
    except KeyboardInterrupt:
        out.write("\ninterrupted: stopping everything the demo started\n")
        code = 0 if args.keep else 130
        failed = not args.keep
    finally:
        supervisor.stop_all()
    if failed:
        out.write(f"logs kept in {workdir}\n")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
