"""The ``netchecks`` command (also installed as ``netcheck`` for existing scripts).

Exit codes: 0 every rule passed; 1 a rule failed or could not be judged (0
with ``--exit-zero``); 2 the input is wrong: an unreadable file or any invalid
rule (``run`` still runs the valid rules and reports the invalid ones as
``error`` results). Results go to stdout, everything else (progress,
problems) to stderr.
Heavy modules are imported inside the commands, so ``--version`` stays fast.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netchecks_probe.errors import InputError
from netchecks_probe.reports.options import add_report_options, wants_locations
from netchecks_probe.single_checks import SINGLE_CHECKS, SingleCheck, rule_from_flags

if TYPE_CHECKING:
    from netchecks_core.runnable import RunnableConfig

    from netchecks_probe.progress import ProgressLine
    from netchecks_probe.validate import Intake

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
#: Longest ``--run-timeout`` (about 31 years: far beyond any run, within what waits accept).
MAX_RUN_TIMEOUT_SECONDS = 1e9
EXIT_CODES = """exit codes:
  0  every rule passed
  1  a rule failed or could not be judged (0 with --exit-zero)
  2  the input is wrong: an unreadable file or any invalid rule
     (run still runs the valid rules and reports the invalid ones as errors)"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Run as the command (``argv`` not given), the process ends as soon as the results
    are written: checks abandoned at their deadline must not hold it (see ``exit_now``).
    """
    if argv is None:
        _lean_process()
    code = _main(argv)
    if argv is None:
        from netchecks_probe.output import exit_now

        exit_now(code)
    return code


def _lean_process() -> None:
    """Spare the command's own process work it does not need (not callers of :func:`main`).

    Start-up builds some hundred thousand objects (modules, models, the CEL parser) and
    none of them is garbage: the cyclic GC would walk them again and again for nothing
    (about a seventh of a short run's CPU). It is back on, with all of them frozen out
    of its sight, once the rules run (:func:`_collect_from_here`). Pydantic plugins
    (looked up in every installed package's metadata) are never used by the probe.
    """
    gc.disable()
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


#: Allocations between young collections while rules run (CPython's default: 700).
_RUN_GC_THRESHOLDS = (20_000, 10, 10)


def _collect_from_here() -> None:
    """Turn the cyclic GC back on for what the run creates (when start-up turned it off)."""
    if not gc.isenabled():
        gc.freeze()
        gc.set_threshold(*_RUN_GC_THRESHOLDS)
        gc.enable()


def _main(argv: Sequence[str] | None) -> int:
    prog = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "netchecks"
    if prog not in {"netchecks", "netcheck"}:
        prog = "netchecks"
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    _configure_logging(getattr(args, "verbose", 0))

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
    except Exception as error:  # the CLI's boundary: a message, never a traceback
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        _err(f"{prog}: internal error: {type(error).__name__}: {error} (-vv shows where)")
        return EXIT_FAILED


class _VersionAction(argparse.Action):
    """Print the version (read only when asked for)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from netchecks_probe.version import probe_version

        if parser.prog == "netcheck":  # the old CLI's line, which scripts may parse
            _out(f"Netcheck version {probe_version()}")
        else:
            _out(f"{parser.prog} {probe_version()}")
        parser.exit()


#: ``netchecks schema DOCUMENT``: the function of :mod:`netchecks_core.schema` printing it.
SCHEMAS = {
    "config": "probe_config_schema",
    "output": "probe_output_schema",
    "assertion": "assertion_schema",
}

SCHEMA_EPILOG = """\
editors (yaml-language-server, as in VS Code's YAML extension):
  netchecks schema assertion > netchecks-assertion.schema.json
  then start a manifest with the line
  # yaml-language-server: $schema=./netchecks-assertion.schema.json
"""


def build_parser(prog: str = "netchecks") -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run network assertions (DNS, HTTP, TCP, PostgreSQL) and judge them with CEL.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    output = _output_options()
    _add_run_command(commands, output)
    validate = commands.add_parser(
        "validate",
        help="check configs or manifests (fields, schedules, CEL, templates); runs nothing",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_sources(validate)
    validate.set_defaults(handler=_validate_command, verbose=0)

    for name, check in SINGLE_CHECKS.items():
        _add_single_check(commands, name, check, output)

    schema = commands.add_parser(
        "schema",
        help="print a JSON Schema: probe config, probe output or NetworkAssertion manifest",
        description="Print the JSON Schema (2020-12) of a document, for editors and CI.\n"
        "Templated values ({{ ctx.port }}) are accepted where the probe accepts them.",
        epilog=SCHEMA_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    schema.add_argument(
        "document",
        choices=tuple(SCHEMAS),
        help="config: what `run --config` reads; output: what `run` prints; "
        "assertion: a NetworkAssertion manifest",
    )
    schema.set_defaults(handler=_schema_command, verbose=0)
    return parser


def _output_options() -> argparse.ArgumentParser:
    """The options of every command that runs rules (a parent parser)."""
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("-v", "--verbose", action="count", default=0, help="progress on stderr")
    add_report_options(output)
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
        type=_run_seconds,
        default=600.0,
        metavar="SECONDS",
        help="deadline of the whole run (default 600)",
    )

    return output


def _add_run_command(commands: Any, output: argparse.ArgumentParser) -> None:
    run = commands.add_parser(
        "run",
        parents=[output],
        help="run the rules of probe configs or NetworkAssertion manifests",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_sources(run)
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
        "--context-root",
        metavar="DIR",
        help="files of every manifest's ConfigMap and Secret contexts: "
        "DIR/<namespace>/configmaps/<name>/<key>, DIR/<namespace>/secrets/<name>/<key>",
    )
    run.add_argument(
        "--parallelism",
        type=_positive_int,
        default=32,
        metavar="N",
        help="rules run at once (default 32)",
    )
    run.set_defaults(handler=_run_command)


def _add_sources(command: argparse.ArgumentParser) -> None:
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "-c",
        "--config",
        action="append",
        metavar="PATH",
        help="probe config, JSON or YAML: a file, a directory or '-' for stdin (repeatable)",
    )
    source.add_argument(
        "-f",
        "--filename",
        action="append",
        metavar="PATH",
        help="NetworkAssertion manifests: a file (several YAML documents allowed), "
        "a directory or '-' (repeatable)",
    )
    command.add_argument(
        "-R", "--recursive", action="store_true", help="read directories' subdirectories too"
    )


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
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value


def _run_seconds(text: str) -> float:
    value = _positive_float(text)
    if value > MAX_RUN_TIMEOUT_SECONDS:  # the clock and thread waits cannot reach further
        raise argparse.ArgumentTypeError(f"{text!r} must be at most {MAX_RUN_TIMEOUT_SECONDS:g}")
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
    intake = _intake(args, for_run=True)
    for line in intake.warnings + intake.problems:
        _err(line)
    if not intake.batches:
        return EXIT_BAD_INPUT
    code = _execute(None, args, single=False, intake=intake)
    return EXIT_BAD_INPUT if intake.problems else code


def _intake(args: argparse.Namespace, for_run: bool) -> Intake:
    """Read and check the documents of -c or -f (``for_run``: also build their config)."""
    from netchecks_probe import inputs, validate
    from netchecks_probe.context_sources import ContextSources

    context_dirs = inputs.name_path_pairs(getattr(args, "context_dir", None), "--context-dir")
    secret_dirs = inputs.name_path_pairs(getattr(args, "secret_dir", None), "--secret-dir")
    lines = wants_locations(getattr(args, "output", ""), getattr(args, "junit_xml", None))
    documents, refusals = inputs.load_documents(args.config or args.filename, args.recursive, lines)
    intake = validate.Intake(problems=[str(r) for r in refusals])
    root = _context_root(getattr(args, "context_root", None))
    if args.config is not None:
        if context_dirs or secret_dirs or root:
            raise InputError("--context-dir, --secret-dir and --context-root go with -f")
        validate.take_configs(documents, intake)
    elif for_run:
        if wrong := validate.unknown_dirs(documents, context_dirs, secret_dirs):
            raise InputError("; ".join(wrong))
        sources = ContextSources(context_dirs, secret_dirs, root)
        validate.take_manifests(documents, intake, sources)
    else:
        validate.take_manifests(documents, intake)
    if args.filename is not None and not intake.assertions_seen and not refusals:
        intake.problems.append("no NetworkAssertion found (kind: NetworkAssertion)")
    return intake


def _context_root(value: str | None) -> Path | None:
    if value is None:
        return None
    if not Path(value).is_dir():
        raise InputError(f"--context-root {value}: not a directory")
    return Path(value)


def _single_command(args: argparse.Namespace) -> int:
    from netchecks_core.runnable import runnable_config

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
    from netchecks_core.validation import validate_config

    document = {"assertions": [{"name": check.type, "rules": [rule]}]}
    report = validate_config(document)
    if not report.valid:
        for line in report.messages():
            _err(f"netchecks {check.type}: {_flag_path(line)}")
        return EXIT_BAD_INPUT
    return _execute(runnable_config(document), args, single=True)


def _flag_path(line: str) -> str:
    # The one rule of a single check is assertions[0].rules[0]; name just its field.
    return line.removeprefix("assertions[0].rules[0].").removeprefix("assertions[0].rules[0]")


def _execute(
    config: RunnableConfig | None,
    args: argparse.Namespace,
    single: bool,
    intake: Intake | None = None,
) -> int:
    """Run ``config``, or the batches of ``intake``, and write the reports."""
    from netchecks_probe.batches import Combined, run_batches
    from netchecks_probe.output import to_json
    from netchecks_probe.reports.dispatch import render, rows_of, write_junit_file
    from netchecks_probe.runner import RunOptions, run_config

    options = RunOptions(
        parallelism=args.parallelism,
        run_timeout=args.run_timeout,
        disable_redaction=args.disable_redaction,
    )
    live = None if args.verbose else _progress_line(config, intake)
    progress = _print_progress if args.verbose else live.record if live else None
    _collect_from_here()
    try:
        if intake is not None:
            batches = list(zip(intake.batches, intake.configs(), strict=True))
            combined = run_batches(batches, options, progress)
        else:
            assert config is not None
            combined = Combined(run_config(config, options, progress))
    finally:
        if live is not None:
            live.close()  # wiped before the results are written
    document = combined.document
    rows, places = rows_of(document, combined.locations, combined.labels)
    if (report := render(args.output, rows, places)) is not None:
        text = report
    elif single:
        text = to_json(rows[0][1], pretty=sys.stdout.isatty())
    else:
        text = to_json(document, pretty=sys.stdout.isatty())
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    write_junit_file(args.junit_xml, rows, places)
    failed = any(result["status"] != "pass" for _, result in rows)
    return EXIT_FAILED if failed and not args.exit_zero else EXIT_OK


def _progress_line(config: RunnableConfig | None, intake: Intake | None) -> ProgressLine | None:
    """The live progress line, when stderr is a terminal."""
    from netchecks_probe.progress import progress_line

    if intake is not None:
        total = sum(batch.rule_count() for batch in intake.batches)
    else:
        total = sum(len(assertion.rules) for assertion in config.assertions) if config else 0
    return progress_line(total, sys.stderr)


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
    intake = _intake(args, for_run=False)
    for line in intake.warnings + intake.problems:
        _err(line)
    for label, rules in intake.valid:
        _out(f"{label}: valid ({rules} rule(s))")
    if intake.problems:
        _err(f"{len(intake.problems)} problem(s)")
        return EXIT_BAD_INPUT
    return EXIT_OK


def _schema_command(args: argparse.Namespace) -> int:
    import json

    from netchecks_core import schema

    _out(json.dumps(getattr(schema, SCHEMAS[args.document])(), indent=2))
    return EXIT_OK
