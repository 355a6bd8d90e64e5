"""Local stand-ins for the cluster services the example assertions check.

The committed examples name cluster addresses (``payments-api.payments.svc.cluster.local``);
the demo runs a local server for each and points the assertions at it (see
:mod:`demo.examples`). Reuses the TCP targets of :mod:`tools.targets`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from demo.api import VERSION, DemoApi
from demo.processes import DemoError
from tools.targets.base import Target
from tools.targets.dns import Dnsmasq, DnsServerError
from tools.targets.tcp import BannerServer, ClosedPort

#: The token the partner API wants; it lives in the demo's Secret (and is redacted).
PARTNER_TOKEN = "demo-partner-token-7f3a"  # noqa: S105 -- a throwaway demo value
KUBERNETES_SERVICE_IP = "10.96.0.1"
PAYMENTS_API = "http://payments-api.payments.svc.cluster.local:8080"


@dataclass
class StandIns:
    """Cluster address -> local address, for :func:`demo.examples.localize`."""

    #: ``scheme://host:port`` of a cluster URL -> local base URL.
    http: dict[str, str] = field(default_factory=dict)
    #: ``(host, port)`` in the cluster -> local ``(host, port)``.
    tcp: dict[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    #: The DNS server every dns rule asks (``IP:port``).
    dns_server: str = ""
    #: ConfigMaps and Secrets the examples' contexts read: (namespace, name) -> data.
    configmaps: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)


#: The cluster names the examples look up; anything else is NXDOMAIN, like a cluster
#: DNS that does not forward.
CLUSTER_RECORDS = (
    # The API server's Service, by its short and full name (search domains).
    f"--host-record=kubernetes,kubernetes.default.svc.cluster.local,{KUBERNETES_SERVICE_IP}",
    "--srv-host=_https._tcp.kubernetes.default.svc.cluster.local,"
    "kubernetes.default.svc.cluster.local,443",
    "--address=/#/",
)


class ClusterDns(Dnsmasq):
    """dnsmasq answering the cluster names of the examples (and NXDOMAIN for anything else)."""

    def __init__(self) -> None:
        super().__init__(CLUSTER_RECORDS, ready_name="kubernetes.default.svc.cluster.local")

    def start(self) -> None:
        try:
            super().start()
        except DnsServerError as error:
            raise DemoError(str(error)) from None


class DemoTargets(Target):
    """Every stand-in, started and stopped together."""

    def __init__(self) -> None:
        self.payments_api = DemoApi()
        self.partner_api = DemoApi(token=PARTNER_TOKEN)
        self.dns = ClusterDns()
        self.shop_api = BannerServer(b"")  # any listener: the port is open
        self.smtp_relay = BannerServer(b"220 smtp-relay.mail ESMTP netchecks demo\r\n")
        self.postgres = ClosedPort()  # the port the frontend must not reach
        self._stack = contextlib.ExitStack()

    def start(self) -> None:
        """Start every stand-in (those started are stopped again if one fails)."""
        with contextlib.ExitStack() as stack:
            for api in (self.payments_api, self.partner_api):
                stack.callback(api.stop)
                api.start()
            for target in (self.dns, self.shop_api, self.smtp_relay, self.postgres):
                stack.enter_context(target)
            self._stack = stack.pop_all()

    def stop(self) -> None:
        """Stop every stand-in."""
        self._stack.close()

    def stand_ins(self) -> StandIns:
        """Where each cluster address of the examples is served locally."""
        return StandIns(
            http={
                "http://payments-api.payments.svc.cluster.local:8080": self.payments_api.base_url
            },
            tcp={
                ("postgres.shop.svc.cluster.local", 5432): ("127.0.0.1", self.postgres.port),
                ("api.shop.svc.cluster.local", 8080): ("127.0.0.1", self.shop_api.port),
                ("smtp-relay.mail.svc.cluster.local", 25): ("127.0.0.1", self.smtp_relay.port),
            },
            dns_server=self.dns.address,
            configmaps={
                ("integrations", "partner-endpoints"): {
                    "base_url": self.partner_api.base_url,
                    "expected_version": VERSION,
                }
            },
            secrets={("integrations", "partner-api-token"): {"token": PARTNER_TOKEN}},
        )
