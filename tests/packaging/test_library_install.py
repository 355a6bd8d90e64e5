"""``pip install netchecks-core`` as a library user does it: a clean venv from the wheel.

Without extras it gives the models, the schemas and YAML parsing, and says which extra
loading manifests needs; with the ``cel`` extra every example of docs/library.md runs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.docs.test_library import examples, files
from tools.images import Image, image_venv, installed_distributions

# Two venvs, each installing pydantic (and CEL) with pip: a minute or more on busy cores.
pytestmark = pytest.mark.timeout(900)

WITHOUT_EXTRAS = """
import yaml
import netchecks_core as nc

document = yaml.safe_load('''
apiVersion: netchecks.io/v1
kind: NetworkAssertion
metadata: {name: web}
spec:
  rules: [{name: home, type: http, url: "https://shop.example/"}]
''')
assertion = nc.NetworkAssertion.model_validate(document)
print(assertion.spec.rules[0]["url"], sorted(nc.assertion_schema()["properties"]))
try:
    nc.parse_manifests(yaml.safe_dump(document))
except ModuleNotFoundError as error:
    print(error)
"""


def run(venv: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_core_wheel_alone_gives_models_schemas_and_yaml_and_names_the_extra_to_load(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    venv = image_venv(Image("core", ("netchecks-core",), {}, ()), wheels, tmp_path / "venv")

    done = run(venv, WITHOUT_EXTRAS, tmp_path)

    assert {"netchecks-core", "pydantic", "pyyaml"} <= installed_distributions(venv)
    assert "cel-python" not in installed_distributions(venv)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "https://shop.example/ ['apiVersion', 'kind', 'metadata', 'spec', 'status']",
        "checking manifests needs celpy and croniter, from the cel extra: "
        'pip install "netchecks-core[cel]"',
    ]


def test_every_library_docs_example_runs_from_the_core_wheel_with_the_cel_extra(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    library = Image("core-cel", ("netchecks-core",), {"netchecks-core": "cel"}, ())
    venv = image_venv(library, wheels, tmp_path / "venv")
    for name, text in files().items():
        (tmp_path / name).write_text(text)

    for block, output in examples():
        done = run(venv, block.text, tmp_path)
        assert (done.returncode, done.stderr, done.stdout) == (0, "", output), block.where
