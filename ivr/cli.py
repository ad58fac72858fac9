"""`ivr` command line: wiring only. Each subcommand hands its remaining arguments to the module that owns it."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

# subcommand -> ("module", "function", "one-line help"); the function takes argv (list[str]) and returns an exit code.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "agi": ("ivr.adapters.fastagi_server", "main", "serve the call flows over FastAGI (port 4573)"),
    "api": ("api.main", "main", "serve the records API (port 8000), embedded PostgreSQL by default"),
    "token": ("api.cli", "main", "create or revoke API bearer tokens"),
    "prompts": ("promptgen.cli", "main", "build or check the voice prompts (build | check)"),
    "asterisk": ("ivr.sandbox", "main", "provision, start or stop the sandbox Asterisk 22"),
    "call": ("ivr.sandbox", "call_main", "place a demo SIP call with SIPp and print what the caller went through"),
    "config": ("callcenter.cli", "main", "validate and print the call-center configuration"),
}


def usage() -> str:
    lines = ["usage: ivr COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<10} {help_text}" for name, (_, _, help_text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"} or args[0] not in COMMANDS:
        print(usage(), file=sys.stderr if args and args[0] not in {"-h", "--help"} else sys.stdout)
        return 0 if args and args[0] in {"-h", "--help"} else 2
    module_name, function_name, _ = COMMANDS[args[0]]
    command: Callable[[list[str]], int] = getattr(importlib.import_module(module_name), function_name)
    return command(args[1:])


if __name__ == "__main__":
    sys.exit(main())
