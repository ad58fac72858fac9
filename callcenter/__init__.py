"""What both planes mean by a call center: its configuration (config: the model; loading: reading the file), the
business calendar and public holidays (calendar, public_holidays), languages, call records (records) and request
statuses (requests).

Imports nothing of `ivr` (the call plane) or `api` (the control plane): both stand on it.
"""
