"""Database checks through the whole chain, with the DSN in a Secret context.

NetworkAssertion -> operator -> probe Pod (Secret mounted as a context) -> a real
PostgreSQL -> results service -> PolicyReport. The DSN, and its password, must
never reach the report, the events or the services' logs.
"""

from __future__ import annotations

import json

from tests.results.harness import Cluster, results_of
from tools.harness import ServiceProcess
from tools.targets.postgres_fixtures import Scratch

PASSWORD = "pg-chain-s3cret-pw"


def test_postgres_rules_with_a_secret_dsn_pass_and_the_dsn_is_redacted(
    cluster: Cluster, operator: ServiceProcess, results: ServiceProcess, pg: Scratch
) -> None:
    app = pg.create_role("app", PASSWORD)
    pg.execute("create table orders (id int primary key, total numeric)")
    pg.execute("insert into orders values (1, 9.50), (2, 12.00)")
    pg.execute(f'grant select on orders to "{app}"')
    cluster.create_secret("orders-db", {"dsn": pg.dsn(user=app, password=PASSWORD)})
    cluster.create_assertion(
        "orders-db",
        {
            "context": [{"name": "db", "secret": {"name": "orders-db"}}],
            "rules": [
                {
                    "name": "can-read-orders",
                    "type": "postgres",
                    "dsn": "{{ db.dsn }}",
                    "query": "select count(*) as n from orders",
                    "validate": {"pattern": "data.success && data.rows[0].n == 2"},
                },
                {
                    "name": "cannot-write-orders",
                    "type": "postgres-grants",
                    "dsn": "{{ db.dsn }}",
                    "rules": [
                        {
                            "name": "app-is-read-only",
                            "mode": "deny",
                            "roles": {"names": [app]},
                            "objects": {"type": "table", "names": ["orders"]},
                            "privileges": ["INSERT", "UPDATE", "DELETE", "TRUNCATE"],
                        }
                    ],
                },
                {
                    "name": "writes-are-refused",
                    "type": "postgres",
                    "dsn": "{{ db.dsn }}",
                    "query": "delete from orders",
                    "read-only": False,
                    "expected": "fail",
                },
            ],
        },
    )

    report = cluster.wait_report("orders-db", lambda r: len(r.get("results") or []) == 3)

    assert results_of(report) == {
        "can-read-orders": "pass",
        "cannot-write-orders": "pass",
        "writes-are-refused": "pass",
    }
    by_rule = {r["rule"]: r for r in report["results"]}
    assert json.loads(by_rule["can-read-orders"]["properties"]["spec"])["dsn"] == "REDACTED"
    refused = json.loads(by_rule["writes-are-refused"]["properties"]["data"])
    assert refused["sqlstate"] == "42501"
    everything = json.dumps(report) + json.dumps(
        [e.to_dict() for e in cluster.events("orders-db")], default=str
    )
    everything += operator.logs() + results.logs()
    for pod in cluster.core.list_namespaced_pod(cluster.namespace).items:
        everything += cluster.core.read_namespaced_pod_log(pod.metadata.name, cluster.namespace)
    assert PASSWORD not in everything
