"""The built-in sandbox carrier: deterministic quotes, real PDF labels, scripted tracking events.

It needs no network: :class:`carriers.sandbox.proxy.SandboxGateway` quotes ``standard`` and
``express`` from weight and destination, books with a generated ``SBX`` tracking number and a
small PDF label, and :func:`carriers.sandbox.mapper.event_timeline` gives the event sequence a
scheduler posts back to the hub as ``Hub-Signature``-signed webhooks.
"""

from carriers.sandbox.proxy import SandboxGateway, create_gateway
from carriers.sandbox.settings import SandboxSettings

__all__ = ["SandboxGateway", "SandboxSettings", "create_gateway"]
