"""Contact-center IVR: the call plane (AGI flows, calendar, languages). No web framework, no database driver."""
