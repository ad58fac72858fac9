"""The control plane: the call records API (FastAPI + PostgreSQL)."""
