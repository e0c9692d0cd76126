"""Which network addresses outbound requests may reach, and the operator's allow-list.

A request made on behalf of a case (a business's website, a vendor URL, a webhook endpoint) must not become
a way into the operator's own network: private, loopback, link-local (which includes the cloud metadata
service), multicast, reserved and unspecified addresses are refused, and so are IPv6 forms that embed such
an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64). The allow-list lets an operator reach named internal
hosts or ranges on purpose (the local stack, a vendor inside a VPC).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Instance metadata and credential endpoints. Most are link-local or private anyway; they are named so the
# refusal says what was attempted. 100.100.100.200 (Alibaba) sits in shared address space (100.64.0.0/10).
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "169.254.169.253", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def refusal_reason(address: IPAddress) -> str | None:
    """Why outbound requests may not reach `address`, or None when it is a public unicast address."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        inner = refusal_reason(embedded)
        return f"{inner} (embedded in {address})" if inner else None
    if address in _METADATA:
        return "cloud metadata address"
    checks = (
        ("unspecified address", address.is_unspecified),
        ("loopback address", address.is_loopback),
        ("link-local address", address.is_link_local),
        ("multicast address", address.is_multicast),
        ("reserved address", address.is_reserved),
        ("private address", address.is_private),
        # Shared address space (100.64.0.0/10), documentation and benchmarking ranges and the like.
        ("address that is not globally routable", not address.is_global),
    )
    return next((reason for reason, applies in checks if applies), None)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class AllowList:
    """Hosts (exact names, case-insensitive) and networks that bypass the address check."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = field(default=())

    @classmethod
    def parse(cls, entries: Iterable[str] | str | None) -> AllowList:
        """Build from entries: host names, addresses, CIDRs (`localhost`, `::1`, `10.0.0.0/8`), or "a,b,c"."""
        if entries is None:
            return cls()
        if isinstance(entries, str):
            entries = entries.split(",")
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(_host_key(entry))
        return cls(frozenset(hosts), tuple(networks))

    def __add__(self, other: AllowList) -> AllowList:
        return AllowList(self.hosts | other.hosts, self.networks + other.networks)

    def __bool__(self) -> bool:
        return bool(self.hosts or self.networks)

    def allows_host(self, host: str) -> bool:
        """Whether `host` is named on the list (its addresses are then not checked)."""
        return _host_key(host) in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        """Whether `address` (or the IPv4 address it embeds) is in one of the listed networks."""
        candidates = [address]
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            candidates.append(embedded)
        return any(a in n for a in candidates for n in self.networks if a.version == n.version)


def _host_key(host: str) -> str:
    return host.strip().rstrip(".").lower()


Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for `host`, without duplicates, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)
