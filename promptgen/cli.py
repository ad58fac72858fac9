"""`ivr prompts build | check`: the command line of the prompt builder."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from callcenter.loading import ConfigError, load_callcenter
from ivr.prompts import Prompt
from ivr.studio import StudioError
from promptgen import levels, studio
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
    from ivr.adapters.prompt_studio import hash_pin  # argon2 only for this command

    pin = getpass.getpass("PIN: ") if stdin.isatty() else stdin.readline().strip()
    try:
        print(hash_pin(pin))
    except ValueError as exc:
        print(f"ivr prompts pin-hash: {exc}", file=sys.stderr)
        return 1
    return 0


def _places(args: argparse.Namespace) -> tuple[Path, Path]:
    return args.recorded, args.sounds


def list_command(args: argparse.Namespace) -> int:
    """The catalog as the admin page shows it, as JSON on stdout."""
    recorded, sounds = _places(args)
    print(json.dumps(studio.catalog_entries(load_callcenter(args.config), recorded, sounds), ensure_ascii=False))
    return 0


def store_command(args: argparse.Namespace) -> int:
    """Store a take as the override of LANG/KEY and rebuild it; exit 2 when the take is refused (not audio...)."""
    recorded, sounds = _places(args)
    callcenter = load_callcenter(args.config)
    at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    try:
        studio.store_recording(recorded, args.language, args.key, args.take, by=args.by, via=args.via, at=at)
    except StudioError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    try:
        studio.rebuild(sounds, callcenter, recorded, args.language, args.key)
    except StudioError as exc:
        print(f"ivr prompts store: {exc}", file=sys.stderr)
        return 1
    if args.remove_take:
        args.take.unlink(missing_ok=True)
    print(f"{args.language}/{args.key}: recorded by {args.by}, rebuilt in {sounds}")
    return 0


def revert_command(args: argparse.Namespace) -> int:
    """Drop the override of LANG/KEY and rebuild it from synthesis or the fallback; exit 2 when there is none."""
    recorded, sounds = _places(args)
    callcenter = load_callcenter(args.config)
    if not studio.remove_recording(recorded, args.language, args.key):
        print(f"refused: {args.language}/{args.key} has no recording", file=sys.stderr)
        return 2
    try:
        studio.rebuild(sounds, callcenter, recorded, args.language, args.key)
    except StudioError as exc:
        print(f"ivr prompts revert: {exc}", file=sys.stderr)
        return 1
    print(f"{args.language}/{args.key}: back to {'synthesis or its fallback'}, rebuilt in {sounds}")
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
    for name, help_text in (("list", "every prompt key in every language with its source, as JSON"),
                            ("store", "store a take as a prompt's recording and rebuild it"),
                            ("revert", "drop a prompt's recording and rebuild it")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--recorded", type=Path, default=Path(os.environ.get("IVR_RECORDED_DIR", RECORDED_DIR)),
                             help="recorded overrides (default $IVR_RECORDED_DIR or prompts/recorded)")
        command.add_argument("--sounds", type=Path, default=Path(os.environ.get("IVR_SOUNDS_DIR", DEFAULT_OUT)),
                             help="the Asterisk sounds folder to rebuild into (default $IVR_SOUNDS_DIR or var/sounds)")
        command.add_argument("--config", type=Path, default=None, help="call-center file (default: $IVR_CALLCENTER)")
        if name != "list":
            command.add_argument("language", choices=None)
            command.add_argument("key", choices=[key.value for key in Prompt])
        if name == "store":
            command.add_argument("take", type=Path, help="the audio (any format sox reads)")
            command.add_argument("--by", required=True, help="who recorded it")
            command.add_argument("--via", choices=("phone", "browser", "file"), default="file")
            command.add_argument("--at", default=None, help="when (ISO 8601; default now)")
            command.add_argument("--remove-take", action="store_true", help="delete the take once stored")
    return root


def main(argv: Iterable[str], engines: Sequence[Engine] | None = None) -> int:
    args = parser().parse_args(list(argv))
    if args.command == "pin-hash":
        return pin_hash_command(sys.stdin)
    commands = {"list": list_command, "store": store_command, "revert": revert_command, "check": check_command}
    try:
        if args.command == "build":
            return build_command(args, engines)
        return commands[args.command](args)
    except (CatalogError, ConfigError) as exc:
        print(f"ivr prompts {args.command}: {exc}", file=sys.stderr)
        return 1
