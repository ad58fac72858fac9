"""Wallboard and agent page: static files served by the API under /ui (see api.routes.live)."""

from pathlib import Path

WEB_DIR = Path(__file__).parent
