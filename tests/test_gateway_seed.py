"""Seeding FakeGateway without HTTP, and serving large reports from it."""

from __future__ import annotations

import pytest
from conftest import GatewayFactory

from nodesms.enums import ItemState, PackageState

pytestmark = pytest.mark.anyio


async def test_seed_200k_packages_and_list_them(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    # How fast seeding and listing are is measured by benchmarks/bench_walk.py, not here.
    made = gw.seed_packages(200_000, content="Rapor", sender="ACME")
    assert len(made) == len(gw.packages) == 200_000
    assert gw.credit == 100_000  # not charged unless asked
    first = await api.ok("/sms/list", {"pageSize": 1000})
    last = await api.ok("/sms/list", {"pageSize": 1000, "pageIndex": 199})
    assert first["stats"]["totalRecord"] == 200_000
    assert first["list"][0]["id"] == made[-1].id
    assert last["list"][-1]["id"] == made[0].id
    assert first["list"][0]["statistics"]["delivered"] == 1
    assert {p["state"] for p in first["list"]} == {6}
    assert len({p["uuid"] for p in first["list"]}) == 1000
    completed = await api.ok("/sms/list", {"pageSize": 10, "status": 5, "sender": "ACME"})
    assert completed["stats"]["totalRecord"] == 200_000
    items = await api.ok("/sms/list-item", {"pkgID": made[5].id})
    row = items["list"][0]
    assert (row["state"], row["target"][:5], row["operator"]) == (3, "90532", 0)


async def test_seed_options(gateway: GatewayFactory) -> None:
    gw, api = await gateway(credit=1000)
    cancelled = gw.seed_packages(2, recipients=3, parts=2, state=PackageState.CANCELLED)
    assert {s for p in cancelled for s in p.item_states_list()} == {ItemState.CANCELLED}
    assert [p.credit for p in cancelled] == [0, 0]
    queued = gw.seed_packages(1, recipients=5, parts=2, state=PackageState.QUEUEING, charge=True)
    assert gw.credit == 990
    await gw.advance(30)
    assert queued[0].state == PackageState.COMPLETED
    assert queued[0].delivered == 10
    summary = await api.ok("/sms/summary", {})
    assert (summary["total"], summary["rCount"]) == (10, 5)
    with pytest.raises(ValueError, match="credit"):
        gw.seed_packages(1000, charge=True)
    with pytest.raises(ValueError, match="state"):
        gw.seed_packages(1, state=PackageState.SENDING)


async def test_seed_contacts(gateway: GatewayFactory) -> None:
    gw, api = await gateway()
    made = gw.seed_contacts(1500, group="Toplu")
    more = gw.seed_contacts(10, blacklisted=True)
    assert len({c.gsm for c in made + more}) == 1510
    groups = await api.ok("/contact/list-group", {"keyword": "toplu"})
    assert groups["list"][0]["stats"] == {"contactCount": 1500}
    page = await api.ok("/contact/list", {"pageSize": 1000, "pageIndex": 1})
    assert (page["stats"]["totalRecord"], len(page["list"])) == (1510, 510)
    assert (await api.ok("/contact/list", {"status": 2}))["stats"]["totalRecord"] == 10
