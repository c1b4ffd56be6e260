"""Target addresses: where the LRS may send statements (SSRF protection).

A target URL is checked when it is configured and again before each delivery
(a name may resolve elsewhere later): http or https only, no credentials in the
URL, and no private, loopback, link-local, multicast or reserved address (cloud
metadata services live at 169.254.169.254) unless the operator allows them with
LRS_FORWARDING_ALLOW_PRIVATE.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from lrs.forwarding.errors import InvalidTarget


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private or address.is_loopback or address.is_link_local
        or address.is_multicast or address.is_reserved or address.is_unspecified
    )


def check(url: str, *, allow_private: bool, resolve: bool = True, path: str = "url") -> str:
    """The URL if the LRS may send to it; InvalidTarget (with the rule) if not."""
    if not isinstance(url, str) or not url:
        raise InvalidTarget(path, "must be an http or https URL")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidTarget(path, "must be an http or https URL")
    if not parts.hostname:
        raise InvalidTarget(path, "must name a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidTarget(path, "must not carry credentials; give them in auth")
    if parts.fragment:
        raise InvalidTarget(path, "must not have a fragment")
    if allow_private:
        return url
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            raise InvalidTarget(path, "names a loopback host; private addresses are refused "
                                "unless LRS_FORWARDING_ALLOW_PRIVATE is set") from None
        if not resolve:
            return url
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise InvalidTarget(path, f"host {host!r} does not resolve ({exc})") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if _forbidden(address):
            raise InvalidTarget(
                path,
                f"resolves to {address}, a private, loopback or reserved address; refused "
                "unless LRS_FORWARDING_ALLOW_PRIVATE is set",
            )
    return url
