"""Database operations, one module per area: keyword-only functions, each given its session (and the current
time when it writes) by the caller; writes take the Create schemas of api.schemas. Routes hold no SQL."""
