"""Requests to URLs a tenant chose (seller webhook endpoints, carrier ``base_url``) never reach the hub's own network.

Two checks, because neither is enough alone:

* :func:`refuse_private_url`, when the URL is registered: the host may be neither an IP literal
  outside the public internet (loopback, private, shared, link-local where cloud metadata lives,
  reserved) nor a local name (``localhost``, ``*.internal``, a single label such as ``redis``). A
  number the resolver reads as IPv4 (``2130706433``, ``0x7f.1``) counts as a literal.
* :func:`public_transport`, when the request is sent: the name is resolved here, every address it
  resolves to must be public, and the connection goes to the address that was checked, so a name
  pointed at ``127.0.0.1`` after registration (or by DNS rebinding) is refused too. TLS still
  verifies the certificate against the name. Redirects are not followed (httpx's default), so a
  public endpoint cannot bounce the request inward either.

One exception, for operators only: ``ORDERHUB_EGRESS_ALLOW`` (:attr:`hub.core.settings.Settings.egress_allow`)
lists exact ``host:port`` pairs that both checks let through, e.g. a carrier stub on
``127.0.0.1:8081`` in a test rig or a carrier's private endpoint in an on-premises install. It comes
from the process environment only; nothing a tenant sends can add to it, and every other port of a
listed host stays refused.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import anyio
import httpcore
import httpx

from hub.core.errors import ValidationFailed
from hub.core.settings import get_settings

__all__ = ["PrivateAddress", "is_public", "operator_allowed", "public_transport", "refuse_private_url"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOCAL_SUFFIXES = (".localhost", ".internal", ".local", ".home.arpa")


class PrivateAddress(httpcore.ConnectError):
    """The name resolved to an address outside the public internet; nothing was sent."""


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _literal(host: str) -> IPAddress | None:
    """The address ``host`` names by itself, in any form the system resolver accepts."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # 2130706433, 0x7f.1, 127.1
    except OSError:
        return None


def operator_allowed(host: str, port: int) -> bool:
    """True when the operator listed exactly ``host:port`` in ``ORDERHUB_EGRESS_ALLOW``."""
    allowed = get_settings().egress_allow
    return bool(allowed) and (host.lower().strip("[]").rstrip("."), port) in allowed


def refuse_private_url(raw: str, field: str) -> None:
    """Raise ValidationFailed naming ``field`` unless ``raw`` is an http(s) URL of a public host
    (or of a ``host:port`` the operator allowed)."""
    url = httpx.URL(raw) if raw.startswith(("http://", "https://")) else None
    if url is None or not url.host:
        raise ValidationFailed.single(field, "an absolute http(s) URL")
    host = url.host.lower().rstrip(".")
    if operator_allowed(host, url.port or (443 if url.scheme == "https" else 80)):
        return
    address = _literal(host)
    if address is not None:
        if not is_public(address):
            raise ValidationFailed.single(field, f"{host} is not a public internet address")
        return
    if host == "localhost" or host.endswith(LOCAL_SUFFIXES) or "." not in host:
        raise ValidationFailed.single(field, f"{host} is a name on a local network, not on the internet")


class _PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """Resolves the name itself and connects only to the public address it checked."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if operator_allowed(host, port):
            return await self._inner.connect_tcp(
                host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
            )
        try:
            with anyio.fail_after(timeout):
                found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))
        refused = [a for a in addresses if not is_public(a)]
        if refused or not addresses:
            raise PrivateAddress(f"{host} resolves to {refused[0] if refused else 'nothing'}, not a public address")
        *others, last = addresses  # at least one: checked above
        for address in others:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue  # the next address; the last one's failure is the one raised
        return await self._inner.connect_tcp(
            str(last), port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise PrivateAddress("unix sockets are not public addresses")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PublicTransport(httpx.AsyncHTTPTransport):
    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PublicOnlyBackend(),
        )


def public_transport(limits: httpx.Limits | None = None) -> httpx.AsyncBaseTransport:
    """An httpx transport that connects to public internet addresses only (see the module docstring).

    ``limits`` bound its pool: a client given a transport ignores its own ``limits``.
    """
    return _PublicTransport(limits or httpx.Limits())
