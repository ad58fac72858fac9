"""Which Asterisk box the SIP edge serves, as Kamailio itself sees it (issue 20, split brain): the API's AMI link
follows this view instead of its own, so agent actions and callbacks go to the box that takes the calls.

Rules:
- The serving box is the one Kamailio's route[TO_ASTERISK] picks: `$sht(edge=>serving)` while that destination is
  active in dispatcher set 1, else the active destination of highest priority (algorithm 8). No active box: none.
- Asked over Kamailio's JSON-RPC (jsonrpcs over HTTP, IVR_EDGE_RPC, e.g. http://127.0.0.1:5064/RPC): `htable.get`
  and `dispatcher.list`. A refused, unreachable, slow or garbled answer is None (the link keeps its own view and
  its own failover), never an exception.
- A box's SIP address maps to its AMI address through IVR_EDGE_BOXES ("SIPHOST:PORT=AMIHOST:PORT,..."); a box not
  listed there is matched by host among the AMI addresses when exactly one has that host (one box per host, as
  in production). A box that maps to no AMI address is None.
- Parsing is pure (`serving_destination`, `parse_box_map`, `ami_address`); `EdgeView` does the I/O.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from api.ami.client import AmiSettings

log = logging.getLogger(__name__)

DISPATCHER_SET = 1
RPC_TIMEOUT_S = 1.0
FOLLOW_EVERY_S = 5.0  # while connected, ask the edge this often

Address = tuple[str, int]


def host_port(uri: str) -> str:
    """ "sip:10.0.0.11:5060;transport=udp" -> "10.0.0.11:5060" (scheme, user part and parameters dropped)."""
    rest = uri.split(":", 1)[1] if uri.startswith(("sip:", "sips:")) else uri
    return rest.rpartition("@")[2].split(";", 1)[0]


def destinations(listing: Mapping[str, Any], set_id: int = DISPATCHER_SET) -> list[tuple[str, str, int]]:
    """(URI, FLAGS, PRIORITY) of one set in a `dispatcher.list` result; [] for anything else."""
    for record in listing.get("RECORDS") or []:
        found = (record or {}).get("SET") or {}
        if found.get("ID") != set_id:
            continue
        targets = found.get("TARGETS") or []
        return [
            (str(dest["URI"]), str(dest.get("FLAGS", "")), int(dest.get("PRIORITY", 0)))
            for dest in (target.get("DEST") or {} for target in targets)
            if "URI" in dest
        ]
    return []


def serving_destination(listing: Mapping[str, Any], sticky: str | None) -> str | None:
    """The URI Kamailio sends new calls to: the sticky one if active, else the active one of highest priority."""
    active = [(uri, priority) for uri, flags, priority in destinations(listing) if flags.startswith("A")]
    if sticky and any(uri == sticky for uri, _ in active):
        return sticky
    if not active:
        return None
    return max(active, key=lambda item: item[1])[0]


def parse_box_map(text: str) -> dict[str, Address]:
    """IVR_EDGE_BOXES: {"SIPHOST:PORT": (AMIHOST, AMIPORT)}; blanks ignored, anything malformed a ValueError."""
    boxes: dict[str, Address] = {}
    for pair in (item.strip() for item in text.split(",")):
        if not pair:
            continue
        sip, separator, ami = pair.partition("=")
        host, colon, port = ami.strip().rpartition(":")
        if not separator or not colon or not host or not port.isdigit() or not sip.strip():
            raise ValueError(f"IVR_EDGE_BOXES: {pair!r} is not SIPHOST:PORT=AMIHOST:PORT")
        boxes[host_port(sip.strip())] = (host, int(port))
    return boxes


def ami_address(uri: str, boxes: Mapping[str, Address], targets: Sequence[Address]) -> Address | None:
    """The AMI address of the box at SIP `uri`: from the map, else the only AMI target on the same host."""
    address = host_port(uri)
    if address in boxes:
        return boxes[address]
    host = address.rpartition(":")[0] if address.count(":") == 1 else address
    same_host = [target for target in targets if target[0] == host]
    return same_host[0] if len(same_host) == 1 else None


class EdgeView:
    """Kamailio's view of the boxes, asked over its JSON-RPC; `serving()` maps it to an AMI address."""

    def __init__(
        self,
        url: str,
        *,
        boxes: Mapping[str, Address],
        targets: Sequence[Address],
        timeout_s: float = RPC_TIMEOUT_S,
        transport: httpx.AsyncBaseTransport | None = None,  # tests: a fake Kamailio
    ) -> None:
        self.url = url
        self.transport = transport
        self.boxes = dict(boxes)
        self.targets = tuple(targets)
        self.timeout_s = timeout_s
        self.last_error = ""

    async def _call(self, client: httpx.AsyncClient, method: str, *params: str) -> Any:
        reply = await client.post(self.url, json={"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1})
        body = reply.json()  # an RPC error (htable.get of a key not set yet) comes as an HTTP 500 with a JSON body
        return body.get("result") if isinstance(body, dict) else None

    async def serving_uri(self) -> str | None:
        """The SIP URI Kamailio serves now, or None when it cannot say (unreachable, no box active)."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, transport=self.transport) as client:
                listing = await self._call(client, "dispatcher.list")
                item = await self._call(client, "htable.get", "edge", "serving")  # an error while none is set yet
        except (httpx.HTTPError, ValueError) as error:
            self.last_error = str(error) or type(error).__name__
            return None
        if not isinstance(listing, dict):
            self.last_error = "dispatcher.list gave no result"
            return None
        sticky = ((item or {}).get("item") or {}).get("value") if isinstance(item, dict) else None
        self.last_error = ""
        return serving_destination(listing, sticky if isinstance(sticky, str) else None)

    async def serving(self) -> Address | None:
        """The AMI address of the box Kamailio serves, or None (unknown, or a box with no AMI address here)."""
        uri = await self.serving_uri()
        if uri is None:
            return None
        address = ami_address(uri, self.boxes, self.targets)
        if address is None:
            log.warning("the edge serves %s, which matches no AMI address (IVR_EDGE_BOXES)", uri)
        return address


def following(settings: AmiSettings, *, rpc: str, boxes: str, every_s: float = FOLLOW_EVERY_S) -> AmiSettings:
    """`settings` whose link follows the edge at `rpc` (IVR_EDGE_RPC, boxes: IVR_EDGE_BOXES), asked every
    `every_s` while connected; unchanged without `rpc` (the link's own view: the box it reached, the next one
    when that fails)."""
    if not rpc:
        return settings
    view = EdgeView(rpc, boxes=parse_box_map(boxes), targets=settings.targets)
    return dataclasses.replace(settings, follow=view.serving, follow_every_s=every_s)
