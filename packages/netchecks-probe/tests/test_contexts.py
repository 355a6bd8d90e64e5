"""Contexts: inline, file (JSON/YAML) and directory (lazy, Kubernetes mount layout)."""

from __future__ import annotations

from pathlib import Path

import pytest
from netchecks_core.runnable import runnable_config
from netchecks_probe.contexts import DirectoryMapping, load_contexts


def _contexts(*contexts: dict[str, object]):
    return load_contexts(runnable_config({"assertions": [], "contexts": list(contexts)}).contexts)


def test_configmap_mount_gives_one_key_per_file_and_skips_dot_entries(
    tmp_path: Path, mounted_configmap
) -> None:
    root = mounted_configmap(tmp_path / "cfg", {"host": "db.example", "port": "5432"})
    (root / ".hidden").write_text("x")
    mapping = DirectoryMapping(root)
    assert sorted(mapping) == ["host", "port"]
    assert mapping["host"] == "db.example"


def test_directory_values_are_read_only_when_used(tmp_path: Path, mounted_configmap) -> None:
    root = mounted_configmap(tmp_path / "cfg", {"a": "1", "b": "2"})
    mapping = DirectoryMapping(root)
    assert mapping.read_values() == []
    assert mapping["a"] == "1"
    assert mapping.read_values() == ["1"]


def test_directory_keys_cannot_escape_the_directory(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours")
    root = tmp_path / "cfg"
    root.mkdir()
    (root / "sneaky").symlink_to(outside)
    mapping = DirectoryMapping(root)
    for key in ("sneaky", "../outside.txt", "..data", "/etc/passwd"):
        with pytest.raises(KeyError):
            mapping[key]


def test_subdirectories_are_not_keys(tmp_path: Path) -> None:
    root = tmp_path / "cfg"
    (root / "sub").mkdir(parents=True)
    (root / "file").write_text("v")
    assert list(DirectoryMapping(root)) == ["file"]


def test_file_contexts_read_json_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"k": [1, 2]}')
    (tmp_path / "b.yaml").write_text("k: value\nlist: [a, b]\n")
    loaded = _contexts(
        {"name": "a", "type": "file", "path": str(tmp_path / "a.json")},
        {"name": "b", "type": "file", "path": str(tmp_path / "b.yaml")},
    )
    assert loaded.values == {"a": {"k": [1, 2]}, "b": {"k": "value", "list": ["a", "b"]}}
    assert loaded.failed == {}


def test_later_inline_contexts_template_reference_earlier_ones(tmp_path: Path) -> None:
    loaded = _contexts(
        {"name": "base", "type": "inline", "data": {"host": "api", "port": 8443}},
        {
            "name": "url",
            "type": "inline",
            "data": {"full": "https://{{ base.host }}:{{ base.port }}/", "port": "{{ base.port }}"},
        },
    )
    assert loaded.values["url"] == {"full": "https://api:8443/", "port": 8443}


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (
            {"type": "file", "path": "/nonexistent/x.json"},
            "file /nonexistent/x.json does not exist",
        ),
        (
            {"type": "directory", "path": "/nonexistent/dir"},
            "directory /nonexistent/dir does not exist",
        ),
        (
            {"type": "inline", "data": {"x": "{{ nobody.y }}"}},
            "template '{{ nobody.y }}' failed: unknown name 'nobody'",
        ),
    ],
)
def test_a_context_that_cannot_load_is_recorded_with_the_reason(
    context: dict[str, object], message: str
) -> None:
    loaded = _contexts({"name": "ctx", **context})
    assert "ctx" not in loaded.values
    assert message in loaded.failed["ctx"]


def test_a_directory_context_that_is_a_file_fails_to_load(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    loaded = _contexts({"name": "d", "type": "directory", "path": str(tmp_path / "plain")})
    assert loaded.failed["d"].endswith("is not a directory")


def test_an_unreadable_file_context_fails_to_load(tmp_path: Path) -> None:
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    loaded = _contexts(
        {"name": "bin", "type": "file", "path": str(tmp_path / "binary.json")},
        {"name": "dir", "type": "file", "path": str(tmp_path)},
    )
    assert "cannot read" in loaded.failed["bin"]
    assert loaded.failed["dir"].endswith("is a directory, not a file")


def test_a_file_context_that_is_neither_json_nor_yaml_fails_to_load(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"a": [1,')
    loaded = _contexts({"name": "bad", "type": "file", "path": str(tmp_path / "bad.json")})
    assert "is neither JSON nor YAML" in loaded.failed["bad"]


def test_secret_values_are_collected_only_from_secret_contexts(
    tmp_path: Path, mounted_configmap
) -> None:
    root = mounted_configmap(tmp_path / "sec", {"token": "tok-123", "unused": "never-read"})
    loaded = _contexts(
        {"name": "s", "type": "directory", "path": str(root), "secret": True},
        {"name": "i", "type": "inline", "data": {"pw": "inline-pw", "n": 7}, "secret": True},
        {"name": "public", "type": "inline", "data": {"x": "visible"}},
    )
    assert loaded.values["s"]["token"] == "tok-123"
    assert sorted(loaded.secret_values()) == ["7", "inline-pw", "tok-123"]
