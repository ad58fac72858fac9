"""`ivr api` refuses the sandbox's demo AMI secret outside demo mode, before touching anything."""

from __future__ import annotations

import pytest

from api import main as api_main


def test_demo_ami_secret_is_refused_outside_demo_mode(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("IVR_DEMO", raising=False)
    monkeypatch.setenv("IVR_AMI_SECRET", "demo-only-ami-secret")
    assert api_main.main([]) == 2
    assert "demo secret" in capsys.readouterr().err
