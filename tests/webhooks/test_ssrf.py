"""Webhook URLs that point inside the network are refused at creation and again at delivery."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from greenroom.core.settings import Settings
from greenroom.webhooks import ssrf
from greenroom.webhooks.worker import _pin
from tests.factories import make_org
from tests.webhooks.conftest import make_worker, publish, user_data

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://255.255.255.255/hook",
    "http://2130706433/hook",  # 127.0.0.1 as a decimal number
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a9fe:a9fe]/hook",  # 169.254.169.254, IPv4-mapped
    "http://[64:ff9b::a00:1]/hook",  # 10.0.0.1 through NAT64
    "http://[2002:7f00:1::]/hook",  # 127.0.0.1 through 6to4
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://localhost/hook",
    "http://localhost./hook",
    f"http://{socket.gethostname()}/hook",  # this machine's name: resolves to loopback here
    "http://no-such-host.invalid/hook",
    "ftp://93.184.215.14/hook",
    "file:///etc/passwd",
    "gopher://93.184.215.14/",
    "http://user:password@93.184.215.14/hook",
    "http:///hook",
    "not a url",
]


@pytest.fixture
def no_private(settings, monkeypatch):
    monkeypatch.setattr(settings, "webhooks_allow_private", False)
    return settings


@pytest.mark.parametrize("url", REFUSED)
async def test_private_and_odd_urls_are_refused_at_creation(app, api_for, no_private, url) -> None:
    org = await make_org(app)
    client = await api_for(org)
    response = await client.post("/api/webhooks", json={"url": url})
    assert response.status_code == 422, response.text
    assert response.json()["code"] in ("invalid_webhook_url", "validation_error")
    assert (await client.get("/api/webhooks")).json()["webhooks"] == []


@pytest.mark.parametrize("url", ["https://93.184.215.14/hook", "http://[2606:4700::1111]:8443/x"])
async def test_public_addresses_are_accepted(app, api_for, no_private, url) -> None:
    org = await make_org(app)
    client = await api_for(org)
    response = await client.post("/api/webhooks", json={"url": url})
    assert response.status_code == 201, response.text


async def test_update_to_a_private_url_is_refused(app, api_for, no_private) -> None:
    org = await make_org(app)
    client = await api_for(org)
    created = (await client.post("/api/webhooks", json={"url": "https://93.184.215.14/"})).json()
    response = await client.post(
        f"/api/webhooks/{created['webhook']['id']}", json={"url": "http://169.254.169.254/"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_webhook_url"


def test_production_requires_https_unless_private_is_allowed() -> None:
    strong = "v1:" + "k7Qm2Zp9Xw4Rt6Yv8Bn3Jd5Lf1Hs0Gc" * 2
    prod = Settings(environment="production", secrets=strong)
    with pytest.raises(ssrf.UnsafeUrl, match="https"):
        ssrf.parse("http://93.184.215.14/hook", prod)
    assert ssrf.parse("https://93.184.215.14/hook", prod).port == 443
    lax = prod.model_copy(update={"webhooks_allow_private": True})
    assert ssrf.parse("http://127.0.0.1:9999/hook", lax).port == 9999


def test_ports_are_checked_even_where_private_addresses_are_allowed() -> None:
    lax = Settings(webhooks_allow_private=True)
    for port in (0, 9, 1023, 6379, 5432):
        with pytest.raises(ssrf.UnsafeUrl, match=r"[Pp]ort"):
            ssrf.parse(f"http://127.0.0.1:{port}/hook", lax)
    assert ssrf.parse("http://127.0.0.1/hook", lax).port == 80


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", False),  # IPv4-mapped: refused whatever it maps to
        ("198.18.0.1", False),
        ("192.0.2.1", False),
        ("fd00::1", False),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert ssrf.is_public(ipaddress.ip_address(address)) is public


async def test_delivery_time_check_refuses_an_url_that_became_private(
    app, api_for, receiver
) -> None:
    # Created while private addresses were allowed (as if DNS pointed elsewhere back then).
    org = await make_org(app)
    client = await api_for(org)
    created = (await client.post("/api/webhooks", json={"url": receiver.url("/late")})).json()
    await publish(app, org, "user.created", user_data())
    sent = await make_worker(app, org, webhooks_allow_private=False).run_until_idle()
    assert sent == 1
    assert receiver.requests == []
    log = (await client.get(f"/api/webhooks/{created['webhook']['id']}/deliveries")).json()
    delivery = log["deliveries"][0]
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert delivery["error"].startswith("Refused")


def test_a_delivery_connects_to_the_checked_address_keeping_the_name() -> None:
    headers: dict[str, str] = {}
    target = ssrf.Target("https", "hooks.xyz.example.com", 443, "93.184.215.14")
    url, extensions = _pin("https://hooks.xyz.example.com/in?x=1", target, headers)
    assert url == "https://93.184.215.14:443/in?x=1"
    assert headers["host"] == "hooks.xyz.example.com"
    assert extensions == {"sni_hostname": "hooks.xyz.example.com"}
    v6 = ssrf.Target("http", "hooks.xyz.example.com", 8080, "2606:4700::1111")
    url, extensions = _pin("http://hooks.xyz.example.com:8080/in", v6, headers)
    assert url == "http://[2606:4700::1111]:8080/in" and extensions == {}
    assert headers["host"] == "hooks.xyz.example.com:8080"
