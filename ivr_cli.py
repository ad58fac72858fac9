"""`ivr` command line: the entry point of both planes and of the tools, wiring only.

It lives beside the packages, not in one of them, because it is the one module that reaches all of them: the call
plane (ivr), the control plane (api), the core (callcenter) and the tools (promptgen, sandbox).

`COMMANDS` is the whole table. Each command imports its entry point when it runs, with a plain import statement
(checked by mypy, found by grep): importing every plane up front would load FastAPI, SQLAlchemy and asyncpg
into every `ivr agi` process (measured on a 2-CPU box: +47 MB resident, +1.4 s start-up), and the call plane
needs none of them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NamedTuple


def agi(argv: list[str]) -> int:
    from ivr.app import main

    return main(argv)


def outbox(argv: list[str]) -> int:
    from ivr.outbox_cli import main

    return main(argv)


def api(argv: list[str]) -> int:
    from api.main import main

    return main(argv)


def token(argv: list[str]) -> int:
    from api.cli import main

    return main(argv)


def retention(argv: list[str]) -> int:
    from api.cli import retention_main

    return retention_main(argv)


def user(argv: list[str]) -> int:
    from api.cli import user_main

    return user_main(argv)


def guide(argv: list[str]) -> int:
    from api.guide.cli import main

    return main(argv)


def prompts(argv: list[str]) -> int:
    from promptgen.cli import main

    return main(argv)


def asterisk(argv: list[str]) -> int:
    from sandbox.cli import main

    return main(argv)


def call(argv: list[str]) -> int:
    from sandbox.cli import call_main

    return call_main(argv)


def mail(argv: list[str]) -> int:
    from api.channels.mail_cli import main

    return main(argv)


def edge(argv: list[str]) -> int:
    from sandbox.edge_cli import main

    return main(argv)


def config(argv: list[str]) -> int:
    from callcenter.cli import main

    return main(argv)


def backup(argv: list[str]) -> int:
    from api.ops_cli import backup_main

    return backup_main(argv)


def db(argv: list[str]) -> int:
    from api.ops_cli import db_main

    return db_main(argv)


class Command(NamedTuple):
    run: Callable[[list[str]], int]
    help: str


COMMANDS: dict[str, Command] = {
    "agi": Command(agi, "serve the call flows over FastAGI (port 4573)"),
    "outbox": Command(outbox, "list the call-record spool's backlog and quarantine; retry quarantined records"),
    "api": Command(api, "serve the records API (port 8000), embedded PostgreSQL by default"),
    "token": Command(token, "create or revoke API bearer tokens (machines)"),
    "user": Command(user, "create staff accounts, reset passwords, disable (people who sign in)"),
    "retention": Command(retention, "apply the data retention policy once (run: for cron)"),
    "prompts": Command(prompts, "build or check the voice prompts (build | check)"),
    "asterisk": Command(asterisk, "provision, start or stop the sandbox Asterisk 22"),
    "call": Command(call, "place a demo SIP call with SIPp and print what the caller went through"),
    "config": Command(config, "validate and print the call-center configuration"),
    "mail": Command(mail, "serve the e-mail intake (SMTP): messages become requests, replies thread onto them"),
    "backup": Command(backup, "back up or restore the database, recordings, prompts and configuration"),
    "db": Command(db, "migrate the API's database schema to this release (migrate | current)"),
    "edge": Command(edge, "start or stop the two-box layout: Kamailio in front of two sandbox Asterisks"),
    "guide": Command(guide, "import or export the consular guide as Markdown files (import|export DIR)"),
}


def usage() -> str:
    lines = ["usage: ivr COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<10} {command.help}" for name, command in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"} or args[0] not in COMMANDS:
        print(usage(), file=sys.stderr if args and args[0] not in {"-h", "--help"} else sys.stdout)
        return 0 if args and args[0] in {"-h", "--help"} else 2
    return COMMANDS[args[0]].run(args[1:])


if __name__ == "__main__":
    sys.exit(main())
