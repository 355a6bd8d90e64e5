"""Which values count as secret: Secret scalars and what parses or decodes out of them."""

from __future__ import annotations

import base64
import json

from netchecks_probe.secrets import derived_scalars


def test_json_yaml_and_base64_values_are_unpacked() -> None:
    nested = base64.b64encode(json.dumps({"password": "inner-pass"}).encode()).decode()
    found = derived_scalars(
        {
            "creds.json": json.dumps({"user": "svc", "password": "json-pass", "port": 5432}),
            "config": "db:\n  password: yaml-pass\n",
            "encoded": nested,
        }
    )
    assert {"json-pass", "yaml-pass", "inner-pass", "5432", "svc"} <= found


def test_booleans_nulls_and_keys_are_not_secrets() -> None:
    found = derived_scalars({"enabled": True, "none": None, "key-name": "value-1"})
    assert found == {"value-1"}


def test_a_yaml_alias_bomb_in_a_secret_is_not_expanded() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    assert derived_scalars(bomb) == {bomb}


def test_credentials_inside_urls_and_dsns_are_secrets_of_their_own() -> None:
    found = derived_scalars(
        {
            "url": "postgresql://svc-user:p%40ss-word@db:5432/app",
            "dsn": "host=db user=kv-user password='kv pass' dbname=app",
        }
    )
    assert {"svc-user", "p@ss-word", "kv-user", "kv pass"} <= found
