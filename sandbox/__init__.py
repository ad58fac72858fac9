"""The sandbox Asterisk 22 (Debian sid in a chroot) and the SIPp callers: a tool for tests, benchmarks and demos,
never imported by the runtime packages (ivr, api, callcenter).

- paths: where the sandbox lives (chroot, cache, shared base) and its options
- provision: debootstrap, the cached tree, unpacking, sealing name resolution
- render: asterisk_conf/ plus the sandbox's overrides and demo secrets
- process: start (from any configuration source, until fully booted), stop, the Asterisk CLI
- ami: a small AMI client to wait for events
- sipp: RFC 4733 key presses as pcaps, caller scenarios, one SIPp run
- journey: what a caller heard, read from Asterisk's messages.log
- cli: `ivr asterisk` and `ivr call`
"""
