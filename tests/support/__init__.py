"""The one test harness, shared by every tier and by benchmarks/.

- `poll`: waiting for a condition, always with a deadline (`eventually`, `eventually_blocking`, `file_lock`).
- `database`: the PostgreSQL server (embedded ./var/pg, or DATABASE_URL's), throw-away databases, tokens.
- `api`: the API served for real by uvicorn on a loopback port, in this process or in its own.
- `browser`: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.
- `ports`: free loopback ports; `processes`: stopping a child process, never waiting forever.
- `asterisk`: a sandbox Asterisk of one's own (root, free ports, session lock, fresh astdb) for the asterisk tier
  and the Asterisk benchmarks.
"""
