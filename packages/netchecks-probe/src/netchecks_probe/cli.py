"""The ``netchecks`` command (also installed as ``netcheck`` for existing scripts).

Exit codes: 0 every rule passed; 1 a rule failed or errored (0 with
``--exit-zero`` once a result document was written); 2 the input is wrong.
Results go to stdout, everything else (progress, warnings, errors) to stderr.
Heavy modules are imported inside the commands, so ``--version`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netchecks_probe.single_checks import SINGLE_CHECKS, SingleCheck, rule_from_flags

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Run as the command (``argv`` not given), the process ends as soon as the results
    are written: checks abandoned at their deadline must not hold it (see ``exit_now``).
    """
    code = _main(argv)
    if argv is None:
        from netchecks_probe.output import exit_now

        exit_now(code)
    return code


def _main(argv: Sequence[str] | None) -> int:
    prog = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "netchecks"
    if prog not in {"netchecks", "netcheck"}:
        prog = "netchecks"
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    _configure_logging(getattr(args, "verbose", 0))
    from netchecks_probe.inputs import InputError  # (imported late: keeps --version fast)

    try:
        return int(args.handler(args))
    except InputError as error:
        _err(f"{prog}: error: {error}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _err(f"{prog}: interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK


class _VersionAction(argparse.Action):
    """Print the version (read only when asked for)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from netchecks_probe.version import probe_version

        _out(f"{parser.prog} {probe_version()}")
        parser.exit()


def build_parser(prog: str = "netchecks") -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run network assertions (DNS, HTTP, TCP, PostgreSQL) and judge them with CEL.",
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("-v", "--verbose", action="count", default=0, help="progress on stderr")
    output.add_argument(
        "-o", "--output", choices=("json", "table"), default="json", help="result format"
    )
    output.add_argument(
        "--exit-zero", action="store_true", help="exit 0 whenever results were written"
    )
    output.add_argument(
        "--disable-redaction",
        action="store_true",
        help="keep headers, DSNs, passwords and Secret values in results",
    )
    output.add_argument(
        "--run-timeout",
        type=_positive_float,
        default=600.0,
        metavar="SECONDS",
        help="deadline of the whole run (default 600)",
    )

    run = commands.add_parser(
        "run", parents=[output], help="run the rules of a probe config or NetworkAssertion manifest"
    )
    source = run.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "-c", "--config", metavar="FILE", help="probe config, JSON or YAML ('-': stdin)"
    )
    source.add_argument(
        "-f", "--filename", metavar="FILE", help="NetworkAssertion manifest: run its rules"
    )
    run.add_argument(
        "--context-dir",
        action="append",
        metavar="NAME=PATH",
        help="files of the manifest's ConfigMap context NAME (repeatable)",
    )
    run.add_argument(
        "--secret-dir",
        action="append",
        metavar="NAME=PATH",
        help="files of the manifest's Secret context NAME (repeatable)",
    )
    run.add_argument(
        "--parallelism",
        type=_positive_int,
        default=32,
        metavar="N",
        help="rules run at once (default 32)",
    )
    run.set_defaults(handler=_run_command)

    validate = commands.add_parser(
        "validate", help="check a config or manifest (rules, CEL, templates); runs nothing"
    )
    what = validate.add_mutually_exclusive_group(required=True)
    what.add_argument("-c", "--config", metavar="FILE", help="probe config ('-': stdin)")
    what.add_argument("-f", "--filename", metavar="FILE", help="NetworkAssertion manifest")
    validate.set_defaults(handler=_validate_command, verbose=0)

    for name, check in SINGLE_CHECKS.items():
        _add_single_check(commands, name, check, output)

    schema = commands.add_parser("schema", help="print the JSON Schema of the config or output")
    schema.add_argument("document", choices=("config", "output"))
    schema.set_defaults(handler=_schema_command, verbose=0)
    return parser


def _add_single_check(
    commands: Any, name: str, check: SingleCheck, output: argparse.ArgumentParser
) -> None:
    # -h is --header for http (as in the old CLI), so help is --help only.
    takes_h = any("-h" in flag.flags for flag in check.flags)
    sub: argparse.ArgumentParser = commands.add_parser(
        name, parents=[output], help=check.help, add_help=not takes_h
    )
    if takes_h:
        sub.add_argument("--help", action="help", help="show this help message and exit")
    group = sub.add_argument_group(f"{name} check")
    for flag in check.flags:
        kwargs: dict[str, Any] = {"dest": _dest(flag.field), "help": flag.help}
        if flag.action is not None:
            kwargs["action"] = flag.action
        if flag.parse is not None and flag.action not in {"store_true", "store_false"}:
            kwargs["type"] = flag.parse
        if flag.required:
            kwargs["required"] = True
        if flag.action not in {"store_true", "store_false"}:
            kwargs["metavar"] = flag.metavar or flag.field.upper()
        group.add_argument(*flag.flags, **kwargs)
    common = sub.add_argument_group("judging")
    common.add_argument("-t", "--timeout", type=_positive_float, metavar="SECONDS", help="timeout")
    common.add_argument("--validation-rule", metavar="CEL", help="CEL rule the result must meet")
    common.add_argument(
        "--should-fail",
        dest="should_fail",
        action="store_true",
        default=False,
        help="the check is expected to fail (a blocked connection)",
    )
    common.add_argument(
        "--should-pass",
        dest="should_fail",
        action="store_false",
        help="the check should pass (default)",
    )
    common.add_argument("--retries", type=int, metavar="N", help="retry a failing check N times")
    common.add_argument(
        "--retry-delay", type=float, metavar="SECONDS", help="wait between attempts"
    )
    sub.set_defaults(handler=_single_command, check=check, parallelism=1)


def _dest(rule_field: str) -> str:
    return "field_" + rule_field.replace("-", "_")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("netchecks-cli")
    handler.setFormatter(logging.Formatter("netchecks: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    # Replace only our own handler (main() may run more than once in a process).
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "netchecks-cli"] + [handler]
    root.setLevel(level)
    # Library chatter stays out of -v progress (and never reaches stdout).
    for noisy in ("celpy", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


# --- commands -----------------------------------------------------------------------------


def _run_command(args: argparse.Namespace) -> int:
    from netchecks_probe import inputs

    if args.config is not None:
        if args.context_dir or args.secret_dir:
            raise inputs.InputError("--context-dir and --secret-dir go with -f (a manifest)")
        config = inputs.load_config(args.config)
    else:
        config = inputs.config_from_manifest(
            args.filename,
            inputs.name_path_pairs(args.context_dir, "--context-dir"),
            inputs.name_path_pairs(args.secret_dir, "--secret-dir"),
        )
    return _execute(config, args, single=False)


def _single_command(args: argparse.Namespace) -> int:
    from netchecks_core.probe_config import ProbeConfig

    check: SingleCheck = args.check
    values = {flag.field: getattr(args, _dest(flag.field)) for flag in check.flags}
    rule = rule_from_flags(check, values)
    for field, value in (
        ("timeout", args.timeout),
        ("validation", args.validation_rule),
        ("retries", args.retries),
        ("retry-delay", args.retry_delay),
    ):
        if value is not None:
            rule[field] = value
    if args.should_fail:
        rule["expected"] = "fail"
    config = ProbeConfig.model_validate({"assertions": [{"name": check.type, "rules": [rule]}]})
    return _execute(config, args, single=True)


def _execute(config: Any, args: argparse.Namespace, single: bool) -> int:
    from netchecks_probe.output import table, to_json
    from netchecks_probe.runner import RunOptions, run_config

    options = RunOptions(
        parallelism=args.parallelism,
        run_timeout=args.run_timeout,
        disable_redaction=args.disable_redaction,
    )
    progress = _print_progress if args.verbose else None
    document = run_config(config, options, progress).model_dump(mode="json", exclude_none=True)
    rows = [(a["name"], r) for a in document["assertions"] for r in a["results"]]
    if args.output == "table":
        text = table(rows)
    elif single:
        text = to_json(rows[0][1], pretty=sys.stdout.isatty())
    else:
        text = to_json(document, pretty=sys.stdout.isatty())
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    failed = any(result["status"] != "pass" for _, result in rows)
    return EXIT_FAILED if failed and not args.exit_zero else EXIT_OK


_PROGRESS_LOCK = threading.Lock()


def _print_progress(assertion: str, result: dict[str, Any]) -> None:
    name = result.get("name") or "(unnamed)"
    line = f"netchecks: {result['status']:<5} {assertion}/{name}"
    if result.get("message"):
        line += f": {result['message']}"
    with _PROGRESS_LOCK:  # rules finish on several threads
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _validate_command(args: argparse.Namespace) -> int:
    from netchecks_probe import inputs, validate

    source = args.config if args.config is not None else args.filename
    if args.config is not None:
        report = validate.validate_config(inputs.load_config_document(source))
    else:
        report = validate.validate_manifest(inputs.load_manifest_document(source))
    label = "stdin" if source == "-" else source
    for warning in report.warnings:
        _err(f"{label}: warning: {warning}")
    for problem in report.problems:
        _err(f"{label}: {problem}")
    if report.problems:
        _err(f"{label}: {len(report.problems)} problem(s)")
        return EXIT_BAD_INPUT
    _out(f"{label}: valid ({report.rules} rule(s))")
    return EXIT_OK


def _schema_command(args: argparse.Namespace) -> int:
    import json

    from netchecks_core.schema import probe_config_schema, probe_output_schema

    schema = probe_config_schema() if args.document == "config" else probe_output_schema()
    _out(json.dumps(schema, indent=2))
    return EXIT_OK
