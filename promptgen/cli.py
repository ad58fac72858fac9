"""`ivr prompts build | check`: the command line of the prompt builder."""

from __future__ import annotations

import argparse
import getpass
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from callcenter.loading import ConfigError, load_callcenter
from promptgen import levels
from promptgen.build import MANIFEST_NAME, Builder, Progress
from promptgen.catalog import CATALOG_DIR, RECORDED_DIR, CatalogError, Deployment, LanguageTexts, load_catalog
from promptgen.check import check
from promptgen.engines import Engine, default_engines
from promptgen.plan import plan

DEFAULT_OUT = Path("var/sounds")


def sandbox_sounds_dir() -> Path:
    """The sounds folder of the sandbox Asterisk (sandbox.paths), where `--sandbox` installs."""
    from sandbox.paths import SOUNDS_DIR, default_paths  # only this option needs it

    return default_paths().in_root(SOUNDS_DIR)


def _load(args: argparse.Namespace) -> tuple[dict[str, LanguageTexts], Deployment]:
    return load_catalog(args.catalog), Deployment.from_callcenter(load_callcenter(args.config))


def build_command(args: argparse.Namespace, engines: Sequence[Engine] | None = None) -> int:
    if shutil.which("sox") is None:
        print("ivr prompts build: sox is not installed (make system-deps)", file=sys.stderr)
        return 1
    catalog, deployment = _load(args)
    items = plan(catalog, deployment, args.recorded)
    out = sandbox_sounds_dir() if args.sandbox else args.out
    builder = Builder(out, engines if engines is not None else default_engines(args.offline), jobs=args.jobs)
    if not builder.engines:
        print("ivr prompts build: no synthesis engine available (install espeak-ng)", file=sys.stderr)
    report = builder.run(items, Progress(sys.stderr, len(items)))
    for label, error in report.failed:
        print(f"  failed {label}: {error}", file=sys.stderr)
    if report.missing:
        print(f"  missing: {', '.join(report.missing)}", file=sys.stderr)
    print(f"{report.summary()} -> {out}")
    return 1 if report.failed or report.missing else 0


def check_command(args: argparse.Namespace) -> int:
    catalog, deployment = _load(args)
    sounds = args.sounds if (args.sounds / MANIFEST_NAME).is_file() else None
    results = check(catalog, deployment, args.recorded, sounds)
    for result in results:
        print(result.line())
        for error in result.errors:
            print(f"     error: {error}")
        for warning in result.warnings:
            print(f"     note: {warning}")
        by_origin: dict[str, list[str]] = {}
        for name, origin in result.fallbacks.items():
            by_origin.setdefault(origin, []).append(name)
        for origin, names in sorted(by_origin.items()):
            keys = [name for name in names if not name.startswith("num_")]
            pieces = len(names) - len(keys)
            print(f"     fallback to {origin}: {len(keys)} prompts ({', '.join(keys) or 'none'})"
                  f"{f' and {pieces} number pieces' if pieces else ''} play {origin} audio until recorded")
        for problem in result.levels:
            print(f"     level: {problem}")
    measured = sum(result.measured for result in results)
    problems = sum(len(result.levels) for result in results)
    where = f"{measured} built files in {sounds} and the recordings" if sounds else (
        f"the recordings only (no build in {args.sounds}: `make prompts`)")
    print(f"prompts check: levels (target {levels.TARGET_DB:.0f} dBFS gated RMS, peak <= "
          f"{levels.PEAK_CEILING_DB:.0f} dBFS) of {where}: {problems} problem(s)")
    failed = [result.code for result in results if result.errors]
    print(f"prompts check: {'FAILED for ' + ', '.join(failed) if failed else 'every key has a text in every language'}")
    return 1 if failed else 0


def pin_hash_command(stdin: TextIO) -> int:
    """Read a PIN (a terminal asks without echo) and print its argon2 hash for the talents file."""
    from promptgen.studio import hash_pin  # argon2 only for this command

    pin = getpass.getpass("PIN: ") if stdin.isatty() else stdin.readline().strip()
    try:
        print(hash_pin(pin))
    except ValueError as exc:
        print(f"ivr prompts pin-hash: {exc}", file=sys.stderr)
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="ivr prompts", description="Build or check the voice prompts.")
    commands = root.add_subparsers(dest="command", required=True)
    for name, help_text in (("build", "generate the sound files"), ("check", "report missing texts and recordings")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--catalog", type=Path, default=CATALOG_DIR, help="folder of <lang>.toml texts")
        command.add_argument("--recorded", type=Path, default=RECORDED_DIR, help="folder of <lang>/<key>.wav")
        command.add_argument("--config", type=Path, default=None, help="call-center file (default: $IVR_CALLCENTER)")
        if name == "build":
            command.add_argument("--out", type=Path, default=DEFAULT_OUT,
                                 help="Asterisk sounds folder; files go to OUT/<lang>/ivr/<key>.wav")
            command.add_argument("--sandbox", action="store_true", help="install into the sandbox Asterisk's sounds")
            command.add_argument("--offline", action="store_true", help="espeak-ng only, do not try gTTS")
            command.add_argument("--jobs", type=int, default=None, help="parallel conversions")
        else:
            command.add_argument("--sounds", type=Path, default=DEFAULT_OUT,
                                 help="a built sounds folder whose levels to report (skipped when not built)")
    commands.add_parser("pin-hash", help="hash a voice talent's PIN (read from stdin) for IVR_PROMPT_TALENTS")
    return root


def main(argv: Iterable[str], engines: Sequence[Engine] | None = None) -> int:
    args = parser().parse_args(list(argv))
    if args.command == "pin-hash":
        return pin_hash_command(sys.stdin)
    try:
        return build_command(args, engines) if args.command == "build" else check_command(args)
    except (CatalogError, ConfigError) as exc:
        print(f"ivr prompts {args.command}: {exc}", file=sys.stderr)
        return 1
