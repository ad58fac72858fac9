"""Channels into requests (issue 17 B): e-mail (SMTP intake and outbound mail), the web form's photos and place,
paper mail scans, and the citizen's notifications. Pure parts (parsing, checks, texts) beside thin adapters."""
