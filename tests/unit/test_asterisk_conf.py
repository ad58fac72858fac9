"""asterisk_conf/ agrees with the call-center configuration and with the flows, and is safe to deploy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.loading import load_callcenter
from callcenter.records import Route
from ivr import variables
from ivr.flows import FLOWS, call_end

CONF = Path(__file__).resolve().parents[2] / "asterisk_conf"

Sections = list[tuple[str, str, list[tuple[str, str]]]]  # (name, "(template args)" or "", [(key, value)])


def parse(name: str) -> Sections:
    """Asterisk's config syntax, enough for these checks: [section](options), key = value / key => value."""
    sections: Sections = []
    for raw in (CONF / name).read_text().splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[([^\]]+)\](\(([^)]*)\))?", line)
        if header:
            sections.append((header.group(1), header.group(3) or "", []))
            continue
        key, _, value = line.partition("=")
        assert sections, f"{name}: option outside a section: {raw!r}"
        sections[-1][2].append((key.strip(), value.lstrip(">").strip()))
    return sections


def options(sections: Sections, section: str) -> dict[str, str]:
    found = [dict(opts) for name, _, opts in sections if name == section]
    assert found, f"no [{section}]"
    return found[0]


def test_a_queue_for_every_configured_language_and_no_other() -> None:
    callcenter = load_callcenter(None)
    queues = {name for name, template, _ in parse("queues.conf") if name != "general" and template != "!"}
    assert queues == {language.queue for language in callcenter.languages}


def test_language_queues_hand_call_end_the_variables_it_reads() -> None:
    queues = parse("queues.conf")
    template = options(queues, "language-queue")
    # call_end reads MEMBERINTERFACE (who answered) and QEHOLDTIME (how long the caller waited).
    assert template["setinterfacevar"] == "yes"
    assert template["setqueueentryvar"] == "yes"
    assert template["wrapuptime"].isdigit()
    assert template["joinempty"] and template["leavewhenempty"]
    assert template["musicclass"] == "default"
    assert template["announce-position"] == "no"
    assert all(template_args == "language-queue" for name, template_args, _ in queues if name.startswith("q-"))


def test_every_agi_target_in_the_dialplan_is_a_known_flow() -> None:
    dialplan = (CONF / "extensions.conf").read_text()
    targets = re.findall(r"AGI\(\$\{IVR_AGI\}/([A-Za-z0-9_]+)[,)]", dialplan)
    assert {"inbound", "call_end", "voicemail"} <= set(targets)
    assert set(targets) <= set(FLOWS)
    # No AGI call bypasses the one global address.
    assert len(re.findall(r"AGI\(", dialplan)) == len(targets)


def test_the_hangup_handler_passes_call_end_every_variable_it_reads_in_order() -> None:
    dialplan = (CONF / "extensions.conf").read_text()
    [arguments] = re.findall(r"AGI\(\$\{IVR_AGI\}/call_end,(.*)\)$", dialplan, re.MULTILINE)
    tag, *values = arguments.split(",")
    assert tag == call_end.ARGUMENTS_TAG
    assert values == [f"${{URIENCODE(${{{name}}})}}" for name in call_end.READ]
    assert "load = func_uri.so" in (CONF / "modules.conf").read_text()


def test_the_agi_address_is_one_global() -> None:
    globals_ = options(parse("extensions.conf"), "globals")
    assert re.fullmatch(r"agi://[^/]+:4573", globals_["IVR_AGI"])


def test_dialplan_reads_only_variables_the_flows_define() -> None:
    dialplan = (CONF / "extensions.conf").read_text()
    used = set(re.findall(r"\$\{(IVR_[A-Z_]+)\}", dialplan)) | set(re.findall(r"Set\((IVR_[A-Z_]+)=", dialplan))
    known = {value for name, value in vars(variables).items() if name.isupper()}
    defined_here = set(options(parse("extensions.conf"), "globals")) | {"IVR_ANSWERED"}
    assert used - known - defined_here == set()
    assert {variables.IVR_ROUTE, variables.IVR_QUEUE, variables.IVR_QUEUE_TIMEOUT} <= used


def test_dialplan_routes_are_the_flow_routes() -> None:
    dialplan = (CONF / "extensions.conf").read_text()
    compared = set(re.findall(r'"\$\{IVR_ROUTE\}" = "([a-z]+)"', dialplan))
    assert compared == {Route.QUEUE.value, Route.VOICEMAIL.value}  # anything else falls through to Hangup()


def test_hangup_handler_is_pushed_before_the_flow_runs() -> None:
    dialplan = (CONF / "extensions.conf").read_text()
    push = dialplan.index("hangup_handler_push)=hangup-handler,s,1")
    assert push < dialplan.index("AGI(${IVR_AGI}/inbound)")
    assert "[hangup-handler]" in dialplan


def test_asterisk_conf_directories_are_not_a_template() -> None:
    # "[directories](!)" is silently ignored by Asterisk, which then loads Debian's sample configuration.
    sections = parse("asterisk.conf")
    assert [(name, template) for name, template, _ in sections if name == "directories"] == [("directories", "")]


def test_every_module_the_dialplan_needs_is_loaded() -> None:
    modules = parse("modules.conf")
    loaded = {value for key, value in modules[0][2] if key == "load"}
    assert options(modules, "modules")["autoload"] == "no"
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "asterisklint"), "modules-show", str(CONF / "extensions.conf")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    needed = set(re.findall(r"^load => (\S+)$", shown, re.MULTILINE))
    assert needed, shown
    assert needed - loaded == set()
    # app_voicemail_odbc/_imap clash with app_voicemail (asterisk-facts); chan_pjsip needs res_pjsip_pubsub.
    assert not {"app_voicemail_odbc.so", "app_voicemail_imap.so"} & loaded
    assert {"chan_pjsip.so", "res_pjsip_pubsub.so", "res_agi.so", "app_queue.so", "cdr_manager.so"} <= loaded


def test_carrier_is_identified_by_address_and_lands_in_from_carrier() -> None:
    pjsip = parse("pjsip.conf")
    identify = options(pjsip, "carrier-identify")
    assert identify["type"] == "identify"
    assert identify["endpoint"] == "carrier"
    assert identify["match"]
    carrier = options(pjsip, "carrier")
    assert carrier["context"] == "from-carrier"
    assert carrier["dtmf_mode"] == "rfc4733"
    assert carrier["direct_media"] == "no"
    assert "[from-carrier]" in (CONF / "extensions.conf").read_text()


def test_forty_agent_seats_with_authentication_and_no_password_in_pjsip_conf() -> None:
    pjsip = parse("pjsip.conf")
    endpoints = [name for name, template, _ in pjsip if template == "agent-endpoint"]
    assert endpoints == [f"agent{n}" for n in range(1001, 1041)]
    for name in endpoints:
        assert options(pjsip, name)["auth"] == f"{name}-auth"
        assert options(pjsip, f"{name}-auth")["username"] == name
    assert not any(key == "password" for _, _, opts in pjsip for key, _ in opts)
    template = options(pjsip, "agent-endpoint")
    assert template["dtmf_mode"] == "rfc4733"
    assert template["direct_media"] == "no"
    assert template["context"] == "agents"
    assert (CONF / "pjsip.conf").read_text().rstrip().endswith("#include pjsip_secrets.conf")


def test_demo_secrets_are_marked_and_cover_every_seat() -> None:
    secrets = parse("pjsip_secrets.sandbox.conf")
    assert [name for name, _, _ in secrets] == [f"agent{n}-auth" for n in range(1001, 1041)]
    assert all(template == "+" and dict(opts)["password"].startswith("demo-only") for _, template, opts in secrets)
    for name in ("pjsip_secrets.sandbox.conf", "manager_secrets.sandbox.conf"):
        assert "NEVER DEPLOY" in (CONF / name).read_text()
    assert not (CONF / "pjsip_secrets.conf").exists()
    assert not (CONF / "manager_secrets.conf").exists()


def test_ami_listens_on_loopback_with_only_the_classes_the_api_needs() -> None:
    manager = parse("manager.conf")
    assert options(manager, "general")["bindaddr"] == "127.0.0.1"
    api = options(manager, "ivr-api")
    assert "secret" not in api
    write = set(api["write"].split(","))
    assert write <= {"agent", "call", "originate", "reporting"}
    assert not {"system", "command", "config", "all"} & (write | set(api["read"].split(",")))
    assert {"agent", "call", "dialplan"} <= set(api["read"].split(","))


@pytest.mark.parametrize("name", sorted(path.name for path in CONF.glob("*.conf")))
def test_every_file_parses_and_opens_with_what_it_is_for(name: str) -> None:
    parse(name)
    assert (CONF / name).read_text().startswith("; "), f"{name} should open with a comment saying what it does"


def test_every_application_the_flows_exec_is_loaded() -> None:
    """modules.conf loads only what is used (autoload=no): an EXEC of an unloaded application answers -2."""
    modules = (Path(__file__).resolve().parents[2] / "asterisk_conf" / "modules.conf").read_text()
    loaded = set(re.findall(r"(?m)^load\s*=\s*(\S+)", modules))
    sources = (Path(__file__).resolve().parents[2] / "ivr").rglob("*.py")
    executed = {m for path in sources for m in re.findall(r'exec_application[,(]\s*"(\w+)"', path.read_text())}
    assert executed, "no EXEC found in ivr/: the pattern above is stale"
    core = {"MSet", "Set"}  # built into Asterisk itself (main/pbx_variables.c), no module to load
    assert {f"app_{name.lower()}.so" for name in executed - core} <= loaded


def test_seats_are_webrtc_capable_over_asterisks_own_wss() -> None:
    pjsip = parse("pjsip.conf")
    template = options(pjsip, "agent-endpoint")
    assert template["webrtc"] == "yes"  # ICE, DTLS-SRTP, AVPF, rtcp-mux
    assert "transport" not in template  # back over the seat's own transport: UDP for desk phones, WSS for browsers
    assert template["allow"].split(",")[0] == "opus" and {"alaw", "ulaw"} <= set(template["allow"].split(","))
    assert options(pjsip, "transport-wss")["protocol"] == "wss"
    assert options(pjsip, "global")["endpoint_identifier_order"].startswith("username")
    http = options(parse("http.conf"), "general")
    assert (http["enabled"], http["tlsenable"], http["bindaddr"]) == ("yes", "yes", "127.0.0.1")
    assert http["tlsbindaddr"].endswith(":8089")
    loaded = {value for key, value in parse("modules.conf")[0][2] if key == "load"}
    webrtc = {"res_http_websocket.so", "res_pjsip_transport_websocket.so", "res_crypto.so", "res_srtp.so"}
    assert webrtc | {"codec_opus_open_source.so", "res_format_attr_opus.so"} <= loaded
    assert options(parse("rtp.conf"), "general")["icesupport"] == "yes"
    assert "stunaddr" not in options(parse("rtp.conf"), "general")


def test_the_queue_hands_the_callers_context_to_the_agents_phone() -> None:
    dialplan = (CONF / "extensions.conf").read_text()
    queue = next(line for line in dialplan.splitlines() if "(wait),Queue(" in line)
    assert "b(queue-agent-call^s^1(${IVR_LANG}^${IVR_REQUEST_TYPE}^${IVR_REFERENCE}))" in queue
    headers = dialplan.split("\n[queue-agent-call]\n", 1)[1].split("\n[", 1)[0]
    for header in ("X-IVR-Language", "X-IVR-Request-Type", "X-IVR-Reference"):
        assert f"PJSIP_HEADER(add,{header})" in headers
    assert "load = res_pjsip_header_funcs.so" in (CONF / "modules.conf").read_text()


def test_the_dialplan_answers_before_the_inbound_flow() -> None:
    """The inbound flow sends no ANSWER (one round trip fewer per call): the dialplan must have answered."""
    dialplan = (Path(__file__).resolve().parents[2] / "asterisk_conf" / "extensions.conf").read_text()
    inbound = dialplan.split("[ivr-inbound]", 1)[1].split("\n[", 1)[0]
    assert inbound.index("Answer()") < inbound.index("AGI(${IVR_AGI}/inbound)")
