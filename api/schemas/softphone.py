"""The browser softphone's settings for one seat: where to register, as whom, and how to reach media."""

from __future__ import annotations

from pydantic import BaseModel, Field


class IceServer(BaseModel):
    """One entry of RTCPeerConnection's iceServers: a STUN or TURN server (TURN for agents behind NAT)."""

    urls: list[str] = Field(min_length=1, description="stun:HOST:PORT, turn:HOST:PORT?transport=udp, turns:...")
    username: str | None = None
    credential: str | None = None


class SoftphonePublic(BaseModel):
    seat: str = Field(description="the seat (PJSIP endpoint) the page registers")
    wss_url: str = Field(description="Asterisk's secure WebSocket, e.g. wss://pbx.example.org:8089/ws")
    sip_uri: str = Field(description="the seat's address of record, sip:SEAT@DOMAIN")
    authorization_user: str = Field(description="the digest user name (the seat)")
    password: str = Field(description="the seat's SIP password (pjsip_secrets.conf); never stored by the page")
    display_name: str
    ice_servers: list[IceServer]
