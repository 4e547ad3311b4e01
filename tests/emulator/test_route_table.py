"""The emulator's operations are one table (evalcore_emulator/server.py ROUTES, gathered from each module's
ROUTES): each entry is an operation of its service in botocore's model, with the HTTP method and path botocore
sends (`http.method`, `http.requestUri` in botocore/data/<service>/<version>/service-2.json)."""

from __future__ import annotations

import re

import botocore.session
import pytest

from evalcore_emulator.protocol import Route
from evalcore_emulator.server import ROUTES


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.service}:{r.operation}")
def test_every_route_is_the_botocore_operation_it_names(route: Route) -> None:
    model = botocore.session.get_session().get_service_model(route.service)
    assert route.operation in model.operation_names
    http = model.operation_model(route.operation).http
    path = re.sub(r"\{\w+\+?\}", "id-1", http["requestUri"].split("?")[0])

    assert route.method == http["method"]
    assert route.pattern.match(path), f"{route.pattern.pattern} does not match botocore's {http['requestUri']}"


def test_each_operation_has_one_route() -> None:
    keys = [(route.service, route.operation) for route in ROUTES]
    assert len(keys) == len(set(keys))
