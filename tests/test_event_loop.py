"""The suite runs on the event loop ``--nodesms-loop`` (or ``NODESMS_TEST_LOOP``) names."""

from __future__ import annotations

import asyncio

import pytest

from nodesms.testing import FakeGateway


@pytest.mark.anyio
async def test_runs_on_the_event_loop_asked_for(request: pytest.FixtureRequest) -> None:
    wanted = request.config.getoption("--nodesms-loop")
    loop = asyncio.get_running_loop()
    assert type(loop).__module__.split(".")[0] == ("uvloop" if wanted == "uvloop" else "asyncio")
    async with FakeGateway() as gw, gw.client() as client:
        assert (await client.user.credit()).credit == 100_000
