"""Configuration rendering: asterisk_conf/ as an administrator deploys it, plus the few sandbox overrides.

Rules: asterisk_conf/ stays what an administrator deploys; rendering only overrides a few keys that are already
there (directories, the FastAGI address, ports, the TLS certificate's path, a tier's desk-phone seats) and puts the
demo-only secret files (`*.sandbox.conf`) in place of the real ones. The sandbox's self-signed certificate is made
once per base and kept.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import wave
from datetime import date, timedelta
from pathlib import Path

from sandbox.certificates import self_signed_certificate
from sandbox.edge import seat_contacts
from sandbox.paths import AGI_HOSTNAME, CONF_SOURCE, SANDBOX_SECRETS_SUFFIX, SandboxError, SandboxOptions, SandboxPaths


def set_option(text: str, section: str, key: str, value: str) -> str:
    """Replace `key = ...` inside `[section]` (the first one, templates included) of an Asterisk config file.

    The key must already be there: rendering overrides what an administrator wrote, it never invents options.
    """
    lines = text.splitlines(keepends=True)
    current = None
    header = re.compile(r"^\s*\[([^\]]+)\]")
    option = re.compile(rf"^(\s*){re.escape(key)}(\s*)=>?(\s*)([^;\n]*?)(\s*)(;.*)?$")
    for index, line in enumerate(lines):
        match = header.match(line)
        if match:
            current = match.group(1)
            continue
        if current != section:
            continue
        found = option.match(line.rstrip("\n"))
        if found:
            # Keep the administrator's spelling (`=` or `=>`, spaces or none: [globals] must have none).
            arrow = "=>" if "=>" in line.split(";", 1)[0] else "="
            comment = f" {found.group(6)}" if found.group(6) else ""
            lines[index] = f"{found.group(1)}{key}{found.group(2)}{arrow}{found.group(3)}{value}{comment}\n"
            return "".join(lines)
    raise SandboxError(f"cannot override {key} in [{section}]: not found in the source configuration")


def sandbox_overrides(paths: SandboxPaths, options: SandboxOptions) -> dict[str, list[tuple[str, str, str]]]:
    """Per file: (section, key, value) to override when rendering asterisk_conf/ for the sandbox."""
    directories = {
        "astetcdir": paths.conf_dir,
        "astspooldir": paths.spool_dir,
        "astrundir": paths.run_dir,
        "astlogdir": paths.log_dir,
        "astdbdir": paths.db_dir,
    }
    return {
        "asterisk.conf": [("directories", key, str(value)) for key, value in directories.items()],
        "extensions.conf": [
            (
                "globals",
                "IVR_AGI",
                f"agi://{AGI_HOSTNAME if options.agi_hosts else options.agi_host}:{options.agi_port}",
            ),
            ("globals", "IVR_RECORDINGS", str(paths.recordings_dir)),
            *[("globals", key, value) for key, value in options.extra_globals.items()],
        ],
        "pjsip.conf": [
            ("transport-udp", "bind", f"127.0.0.1:{options.sip_port}"),
            *([] if options.seat_webrtc else [("agent-endpoint", "webrtc", "no")]),
        ],
        "manager.conf": [("general", "port", str(options.ami_port))],
        "http.conf": [
            ("general", "bindport", str(options.http_port)),
            ("general", "tlsbindaddr", f"127.0.0.1:{options.https_port}"),
            ("general", "tlscertfile", str(paths.tls_certificate)),
            ("general", "tlsprivatekey", str(paths.tls_key)),
        ],
    }


def render_config(
    paths: SandboxPaths,
    options: SandboxOptions | None = None,
    *,
    source: Path = CONF_SOURCE,
    today: date | None = None,
) -> None:
    """Write the sandbox configuration (asterisk_conf/ + overrides + demo secrets) into paths.conf_dir."""
    options = options or SandboxOptions()
    overrides = sandbox_overrides(paths, options)
    target = paths.conf_dir
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.conf"):
        old.unlink()
    for conf in sorted(source.glob("*.conf")):
        text = conf.read_text()
        for section, key, value in overrides.get(conf.name, []):
            text = set_option(text, section, key, value)
        name = conf.name
        if name.endswith(SANDBOX_SECRETS_SUFFIX):
            # Demo-only secrets take the place of the production file that is never in the repository.
            name = name[: -len(SANDBOX_SECRETS_SUFFIX)] + ".conf"
        (target / name).write_text(text)
    _name_agi_servers(paths, options.agi_hosts)
    if options.seat_proxy:
        (target / "pjsip_edge.conf").write_text(seat_contacts((source / "pjsip.conf").read_text(), options.seat_proxy))
    # cdr_csv writes Master.csv under astlogdir/cdr-csv, which it does not create either.
    made = (paths.spool_dir, paths.log_dir / "cdr-csv", paths.run_dir, paths.db_dir, paths.recordings_dir)
    for directory in made:
        directory.mkdir(parents=True, exist_ok=True)
    # RECORD FILE does not create directories, and the voicemail flow records into <dir>/<yyyy>/<mm>/: create
    # this month's and next month's, as a deployment's monthly job would.
    today = today or date.today()
    for day in (today, today + timedelta(days=31)):
        (paths.recordings_dir / f"{day:%Y}" / f"{day:%m}").mkdir(parents=True, exist_ok=True)
    _ensure_hold_music(paths)
    ensure_certificate(paths)
    # res_crypto (needed by res_srtp) reads astkeydir at load and warns when Debian's tree lacks it.
    paths.in_root("/var/lib/asterisk/keys").mkdir(parents=True, exist_ok=True)


def _name_agi_servers(paths: SandboxPaths, addresses: tuple[str, ...]) -> None:
    """One /etc/hosts line per FastAGI server for AGI_HOSTNAME inside the chroot (none when there is one server):
    a name with several addresses is how Asterisk is given a list of agi servers without DNS."""
    hosts = paths.in_root("/etc/hosts")
    if not hosts.exists():
        return  # not provisioned (unit tests render into a bare tree)
    kept = [line for line in hosts.read_text().splitlines() if line.split()[1:] != [AGI_HOSTNAME]]
    hosts.write_text("\n".join([*kept, *(f"{address}\t{AGI_HOSTNAME}" for address in addresses)]) + "\n")


def ensure_certificate(paths: SandboxPaths, *, days: int = 825) -> None:
    """A self-signed certificate for 127.0.0.1/localhost (Asterisk's HTTPS server: browser softphones over WSS),
    made once and kept: a browser that accepted it by hand keeps working after a restart. Never for production
    (README: the softphone's certificates)."""
    self_signed_certificate(paths.tls_key, paths.tls_certificate, days=days)


HOLD_MUSIC_FORMATS = {  # extension -> sox output options
    "alaw": ("-t", "al"),
    "ulaw": ("-t", "ul"),
    "sln16": ("-r", "16000", "-b", "16", "-e", "signed-integer", "-L", "-t", "raw"),
}


def _ensure_hold_music(paths: SandboxPaths) -> None:
    """Debian's asterisk has no music: give the default class a soft tone so queued callers get media."""
    moh = paths.in_root("/var/lib/asterisk/moh")
    moh.mkdir(parents=True, exist_ok=True)
    tone = moh / "sandbox-tone.wav"
    if not any(moh.iterdir()):
        rate, seconds = 8000, 4
        samples = bytearray()
        for n in range(rate * seconds):
            # Fade in and out, so the loop has no click.
            envelope = 0.5 - 0.5 * math.cos(2 * math.pi * n / (rate * seconds))
            value = int(3000 * envelope * math.sin(2 * math.pi * 440 * n / rate))
            samples += value.to_bytes(2, "little", signed=True)
        with wave.open(str(tone), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(bytes(samples))
    # The same tone as A-law, mu-law and 16 kHz: res_musiconhold lists a file once whatever its formats, and
    # Asterisk plays the caller's codec without transcoding every frame of every waiting caller (docs/voices.md).
    # (sox directly: the sandbox does not import promptgen, whose FORMATS say the same for prompts.)
    sox = shutil.which("sox")
    for extension, options in HOLD_MUSIC_FORMATS.items():
        target = tone.with_suffix(f".{extension}")
        if sox and tone.exists() and not target.exists():
            subprocess.run([sox, str(tone), *options, str(target)], capture_output=True, timeout=30, check=False)
