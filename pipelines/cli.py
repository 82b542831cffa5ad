"""The `pmps` command (docs/inputs.md#9-commands): demo, load, summary, issues, dev."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import textwrap
import warnings
from collections.abc import Mapping
from pathlib import Path

from pipelines.core.config import Config, ConfigError, load_config
from pipelines.core.environment import read_environment
from pipelines.core.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The epilog's paragraphs as written (each filled to the terminal's width)."""


class ArgumentParser(argparse.ArgumentParser):
    """Usage errors exit 2 with one line, without a traceback."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


EXIT_CODES = ("exit codes: 0 done (a load: published); 1 failed, nothing published (the old "
              "outputs stay); 2 usage or configuration error, nothing read")
ENVIRONMENT = ("environment: PMPS_CONFIG (configuration file, default config/pmps.yaml), "
               "PMPS_LANDING_DIR, PMPS_WAREHOUSE_DIR (override the configuration's folders), "
               "PMPS_PSEUDONYM_KEY (the pseudonym key; default <warehouse>/pseudonym.key), "
               "PMPS_LOCK_RETRIES, PMPS_LOCK_RETRY_SECONDS (waiting for a locked "
               "warehouse), DAGSTER_HOME (run history; default <warehouse>/dagster_home)")
EXAMPLES = {
    None: "pmps demo && pmps load && pmps summary",
    "demo": "pmps demo --patients 10000 --sites 4 --faults --landing /tmp/landing",
    "load": "0 2 * * * /srv/pmps/.venv/bin/pmps load --config /srv/pmps/config/pmps.yaml "
            ">> /var/log/pmps.log 2>&1    # cron: absolute paths",
    "summary": "pmps summary --warehouse /srv/pmps/data/warehouse",
    "issues": "pmps issues --rule out_of_range --limit 20",
    "dev": "pmps dev -- --port 3001",
}


def epilog(command: str | None) -> str:
    """The example as one line, then the environment and the exit codes."""
    width = min(shutil.get_terminal_size().columns, 100) - 2
    return "\n\n".join([f"example:\n  {EXAMPLES[command]}", *(
        textwrap.fill(text, width, break_on_hyphens=False, break_long_words=False)
        for text in (ENVIRONMENT, EXIT_CODES))])


def build_parser() -> argparse.ArgumentParser:
    def formatted(**kwargs) -> dict:  # the epilog's paragraphs kept
        return {"formatter_class": HelpFormatter, **kwargs}

    parser = ArgumentParser(prog="pmps", description="PMPS outcome-study warehouse",
                            **formatted(epilog=epilog(None)))
    commands = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    def add(name: str, text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=text, description=text,
                                   **formatted(epilog=epilog(name)))

    demo = add("demo", "write the demo cohort's exports")
    demo.add_argument("--landing", help="landing folder (default: the configuration's "
                      "landing_dir, data/landing)")
    demo.add_argument("--patients", type=int, help="write a synthetic registry of this many "
                      "patients instead of the study's 20")
    demo.add_argument("--sites", type=int, default=4, help="sites of the registry (default 4)")
    demo.add_argument("--seed", type=int, default=1, help="random seed of the registry (default 1)")
    demo.add_argument("--faults", action="store_true",
                      help="plant a few problems of every data-issue rule in the registry")
    load = add("load", "run one load of the landing folder")
    load.add_argument("--config", help="configuration file (default: $PMPS_CONFIG, else "
                      "config/pmps.yaml)")
    load.add_argument("--landing", help="landing folder (default: $PMPS_LANDING_DIR, else the "
                      "configuration's landing_dir, data/landing)")
    load.add_argument("--warehouse", help="warehouse folder (default: $PMPS_WAREHOUSE_DIR, else "
                      "the configuration's warehouse_dir, data/warehouse)")
    load.add_argument("--accept-drop", action="store_true",
                      help="publish even when the analysis population shrinks more than "
                           "publish_guard.max_drop_pct allows")
    summary = add("summary", "print the group summary")
    summary.add_argument("--warehouse", help="warehouse folder (default: the configured one, "
                         "data/warehouse)")
    issues = add("issues", "print the data issues of a load: file, row, column, value, rule, "
                           "message")
    issues.add_argument("--warehouse", help="warehouse folder (default: the configured one, "
                        "data/warehouse)")
    issues.add_argument("--load", type=int, help="the load (default: the published one)")
    issues.add_argument("--rule", help="only this rule, e.g. out_of_range")
    issues.add_argument("--file", help="only this file")
    issues.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    dev = add("dev", "`dagster dev` on this code location; SIGTERM or Ctrl-C stops all of it")
    dev.add_argument("--warehouse", help="warehouse folder (its dagster_home holds the runs)")
    dev.add_argument("dagster_args", nargs=argparse.REMAINDER,
                     help="further arguments for dagster dev (after --)")
    return parser


def run_demo(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    landing = Path(args.landing) if args.landing else load_config(environ=env).landing_dir
    if args.patients is not None:
        from pipelines.demo.registry import write_registry_exports

        if args.patients < 1 or args.sites < 1:
            print("pmps: --patients and --sites must be at least 1", file=sys.stderr)
            return EXIT_USAGE
        written = write_registry_exports(landing, args.patients, args.sites, args.seed,
                                         args.faults)
        print(f"wrote {len(written)} files for {args.patients} patients at {args.sites} "
              f"sites into {landing}")
        return EXIT_OK
    from pipelines.demo.study import write_demo_exports

    for path in write_demo_exports(landing):
        print(f"wrote {path}")
    return EXIT_OK


def load_in_process(config: Config, env: Mapping[str, str], accept_drop: bool) -> int:
    """Run the code location's nightly job in this process. Dagster and the code location are
    imported only now (a refused load never pays for them), once dbt's manifest is there: the
    dbt assets are read from it."""
    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from pipelines.defs.project import ensure_manifest

    ensure_manifest()
    from pipelines.definitions import defs
    from pipelines.defs.jobs import NIGHTLY_LOAD
    from pipelines.operations.runner import run_nightly_load

    return run_nightly_load(defs().resolve_job_def(NIGHTLY_LOAD), config, env, accept_drop)


def run_load(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    config = load_config(args.config, args.landing, args.warehouse, environ=env)
    if not config.landing_dir.is_dir():
        print(f"pmps: landing folder {config.landing_dir.absolute()} does not exist",
              file=sys.stderr)
        return EXIT_USAGE
    from pipelines.core.lock import LoadRunning, load_lock
    from pipelines.core.warehouse import PRIVATE_UMASK

    os.umask(PRIVATE_UMASK)  # identifiable files are the owner's only; published ones opened
    try:
        # held for the whole load; a second load is refused at once, before Dagster's import
        with load_lock(config.warehouse_dir):
            return load_in_process(config, env, accept_drop=args.accept_drop)
    except LoadRunning as error:
        print(f"pmps: {error}; this load recorded nothing", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:  # a full disk, a folder it cannot write, a path under a file
        where = f" {error.filename}" if error.filename else ""
        print(f"pmps: cannot write{where}: {error.strerror or error}; nothing was published",
              file=sys.stderr)
        return EXIT_FAILED


def run_summary(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from pipelines.publish.paper_table import print_summary

    warehouse = Path(args.warehouse) if args.warehouse else load_config(environ=env).warehouse_dir
    return print_summary(warehouse)


def run_issues(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from pipelines.core.lock import lock_path
    from pipelines.publish.issue_log import IssueQuery, format_issues, read_issues

    warehouse = Path(args.warehouse) if args.warehouse else load_config(environ=env).warehouse_dir
    load_id, issues = read_issues(warehouse, IssueQuery(args.load, args.rule, args.file,
                                                        args.limit))
    if load_id is None:
        running = lock_path(warehouse).exists() and lock_path(warehouse).stat().st_size > 0
        print("a load is running and none has finished yet" if running else
              f"pmps: no load has published into {warehouse} yet", file=sys.stderr)
        return EXIT_FAILED
    print(f"load {load_id}: {len(issues)} issue(s)"
          + (f" (the first {args.limit})" if len(issues) == args.limit else ""))
    if len(issues):
        print(format_issues(issues))
    return EXIT_OK


def run_dev(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from pipelines.core.warehouse import PRIVATE_UMASK
    from pipelines.operations.history import dagster_home
    from pipelines.operations.processes import run_dev_server

    os.umask(PRIVATE_UMASK)  # the webserver, daemon and run workers inherit it
    config = load_config(warehouse=args.warehouse, environ=env)
    bin_dir = Path(sys.executable).parent  # dagster dev runs `dbt parse` from PATH
    # the server's processes inherit this one's environment, with dbt on PATH
    child_env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                 "DAGSTER_HOME": str(dagster_home(config.warehouse_dir, env.get("DAGSTER_HOME")))}
    extra = [a for a in args.dagster_args if a != "--"]
    return run_dev_server([str(bin_dir / "dagster"), "dev", *extra], child_env,
                          Path(__file__).resolve().parents[1])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"demo": run_demo, "load": run_load, "summary": run_summary,
                "issues": run_issues, "dev": run_dev}
    try:
        return handlers[args.command](args, read_environment())
    except ConfigError as error:
        print(f"pmps: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
