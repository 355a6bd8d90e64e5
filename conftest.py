"""Pytest set-up shared by every test in the repository.

Fixture modules live next to what they serve; list them here so that any
test, in any package, can use them.
"""

pytest_plugins: list[str] = [
    "tests.targets.postgres_fixtures",
    "tests.targets.network_fixtures",
]
