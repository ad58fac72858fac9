"""`ivr asterisk` (provision, start, stop, status, cli, paths, env) and `ivr call` (a demo call narrated from AMI)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from sandbox.ami import AmiClient, AmiMessage, ami_secret
from sandbox.journey import describe_journey, journeys_from_log, log_size, read_log_from
from sandbox.paths import SOUNDS_DIR, SandboxError, SandboxOptions, SandboxPaths, default_paths
from sandbox.process import cli, is_running, start, stop
from sandbox.provision import provision
from sandbox.sipp import CallerScript, SippResult, parse_keys, run_sipp, write_caller_scenario


def main(argv: list[str]) -> int:
    """`ivr asterisk provision|start|stop|status|cli CMD`."""
    parser = argparse.ArgumentParser(prog="ivr asterisk", description="the sandbox Asterisk 22 (Debian sid chroot)")
    parser.add_argument("action", choices=["provision", "start", "stop", "status", "cli", "paths", "env"])
    parser.add_argument("command", nargs="*", help="for `cli`: the Asterisk CLI command")
    parser.add_argument("--agi-port", type=int, default=int(os.environ.get("IVR_AGI_PORT", "4573")))
    parser.add_argument("--sip-port", type=int, default=5060)
    parser.add_argument("--ami-port", type=int, default=5038)
    parser.add_argument("--https-port", type=int, default=8089, help="WSS for browser softphones")
    args = parser.parse_args(argv)
    paths = default_paths()
    options = SandboxOptions(
        agi_port=args.agi_port, sip_port=args.sip_port, ami_port=args.ami_port, https_port=args.https_port
    )
    try:
        if args.action == "provision":
            provision(paths)
            print(f"sandbox ready in {paths.root}")
        elif args.action == "start":
            start(paths, options)
            print(f"Asterisk running; configuration in {paths.conf_dir}; logs in {paths.log_dir}")
        elif args.action == "stop":
            print("stopped" if stop(paths) else "not running")
        elif args.action == "status":
            running = is_running(paths)
            print("running" if running else "stopped")
            return 0 if running else 3
        elif args.action == "cli":
            print(cli(paths, " ".join(args.command)), end="")
        elif args.action == "env":
            # For `eval "$(ivr asterisk env)"` before `ivr agi`: where the flows must ask Asterisk to record.
            print(f"export IVR_VOICEMAIL_DIR={paths.recordings_dir}")
            # For `ivr api`: browser softphones register over the sandbox's WSS with the seats' demo passwords.
            print(f"export IVR_SEAT_SECRETS={paths.seat_secrets}")
            print(f"export IVR_API_SOFTPHONE_WSS_URL={options.wss_url}")
        else:
            print(f"root={paths.root}\ncache={paths.cache}\nbase={paths.base}\nconf={paths.conf_dir}")
            print(f"recordings={paths.recordings_dir}\nsounds={paths.in_root(SOUNDS_DIR)}")
    except SandboxError as error:
        print(f"ivr asterisk {args.action}: {error}", file=sys.stderr)
        return 1
    return 0


# ------------------------------------------------------------------------------------------------------------
# `ivr call`: a demo call through the sandbox, narrated from AMI

_NARRATED = {
    "Newchannel", "AGIExecStart", "VarSet", "QueueCallerJoin", "AgentCalled", "AgentConnect",
    "QueueCallerLeave", "QueueCallerAbandon", "AgentComplete", "Hangup",
}  # fmt: skip


def narrate(event: AmiMessage) -> str | None:
    """One line for an event worth telling a person watching a demo call, or None."""
    kind = event.get("Event", "")
    if kind not in _NARRATED:
        return None
    if kind == "VarSet":
        variable = event.get("Variable", "")
        if not (variable.startswith("IVR_") or variable in {"QUEUESTATUS", "CHANNEL(language)"}):
            return None
        return f"set {variable}={event.get('Value', '')}"
    if kind == "AGIExecStart":
        command = event.get("Command", "")
        # Variables show up as VarSet events already; GET VARIABLE is bookkeeping.
        if command.startswith(("SET VARIABLE", "GET VARIABLE", "GET FULL VARIABLE", "VERBOSE")):
            return None
        return f"AGI: {command}"
    if kind == "Newchannel":
        return f"call from {event.get('CallerIDNum', '')} on {event.get('Channel', '')}"
    if kind in {"QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon"}:
        return f"{kind} {event.get('Queue', '')} (position {event.get('Position', '?')})"
    if kind in {"AgentCalled", "AgentConnect", "AgentComplete"}:
        return f"{kind} {event.get('Queue', '')} agent {event.get('MemberName', event.get('Interface', ''))}"
    return f"hangup {event.get('Channel', '')}: {event.get('Cause-txt', '')}"


def _timestamp(event: AmiMessage) -> float | None:
    """AMI's Timestamp field (manager.conf timestampevents = yes), in epoch seconds."""
    try:
        return float(event["Timestamp"])
    except (KeyError, ValueError):
        return None


async def place_call(script: CallerScript, *, paths: SandboxPaths, work_dir: Path) -> tuple[SippResult, list[str]]:
    """Place one call and return SIPp's result and the narrated events of that call, then its journey."""
    ami = await AmiClient.connect(secret=ami_secret(paths))
    log_offset = log_size(paths)
    try:
        scenario = write_caller_scenario(script, work_dir)
        result = await run_sipp(scenario, service=script.dialed, timeout_s=script.hangup_at + 30)
        with contextlib.suppress(TimeoutError):  # let the hangup handler's events arrive
            await ami.wait_for(
                lambda e: e.get("Event") == "AGIExecEnd" and "call_end" in e.get("Command", ""),
                timeout_s=5,
                what="call_end",
            )
        callers = {script.caller, script.caller.lstrip("+")}
        linkedid = next(
            (e.get("Linkedid", "") for e in ami.events
             if e.get("Event") == "Newchannel" and e.get("CallerIDNum") in callers),
            "",
        )  # fmt: skip
        events = [event for event in ami.events if not linkedid or event.get("Linkedid") == linkedid]
        origin = _timestamp(events[0]) if events else None
        lines = []
        for event in events:
            line = narrate(event)
            if line is not None:
                stamp = _timestamp(event)
                offset = f"[{stamp - origin:6.1f}s] " if stamp is not None and origin is not None else ""
                lines.append(offset + line)
        journey = journeys_from_log(read_log_from(paths, log_offset)).get(script.caller)
        if journey is not None:
            lines += describe_journey(journey)
        return result, lines
    finally:
        await ami.close()


def edge_running() -> bool:
    from sandbox.edge_cli import edge_pid  # the edge CLI imports this module's neighbours, not this module

    return edge_pid() is not None


def call_main(argv: list[str]) -> int:
    """`ivr call --caller +33612345678 --keys 3,1`: one demo call into the running sandbox."""
    parser = argparse.ArgumentParser(prog="ivr call", description="place a demo SIP call (SIPp) into the sandbox")
    parser.add_argument("--caller", default="+33612345678", help="caller's number (E.164)")
    parser.add_argument("--keys", default="", help="keys to press, comma separated (e.g. 3,1)")
    parser.add_argument("--first-key", type=float, default=1.5, help="seconds after answer of the first key")
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between keys")
    parser.add_argument("--speak-at", type=float, default=None, help="play 7 s of speech at this second")
    parser.add_argument("--hangup", type=float, default=40.0, help="hang up after this many seconds")
    args = parser.parse_args(argv)
    paths = default_paths()
    if not is_running(paths):
        print(
            "ivr call: the sandbox Asterisk is not running (start it with `ivr asterisk start`)",
            file=sys.stderr,
        )
        return 1
    script = CallerScript(
        caller=args.caller,
        keys=parse_keys(args.keys, first_at=args.first_key, gap=args.gap),
        speak_at=args.speak_at,
        hangup_at=args.hangup,
        # through the SIP edge (`make run EDGE=1`): ACK and BYE follow Kamailio's Record-Route
        route_set=edge_running(),
    )
    with tempfile.TemporaryDirectory(prefix="ivr-call-") as work:
        try:
            result, lines = asyncio.run(place_call(script, paths=paths, work_dir=Path(work)))
        except (SandboxError, ValueError, OSError) as error:
            print(f"ivr call: {error}", file=sys.stderr)
            return 1
    for line in lines:
        print(line)
    if not result.ok:
        print(f"SIPp exited with status {result.returncode}:\n{result.output[-2000:]}", file=sys.stderr)
    return 0 if result.ok else 1
