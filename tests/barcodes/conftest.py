"""Barcode fixtures: a provider with a warehouse, an item carrying a GTIN, and GS1 strings built from dates."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from health_responder.db import utc_today

#: GS1's own example GTIN-13 (check digit 2), kept by the catalogue as 14 digits.
GTIN = "09506000134352"
#: The same with the last digit wrong.
BAD_GTIN = "09506000134353"
#: A valid GTIN that no item carries (EAN-13 4006381333931).
UNKNOWN_GTIN = "04006381333931"
GS = "\x1d"


def yymmdd(day: date) -> str:
    return day.strftime("%y%m%d")


def next_year_of(leap: bool) -> int:
    """The first year after this one that is (or is not) a leap year."""
    year = utc_today().year + 1
    while calendar.isleap(year) != leap:
        year += 1
    return year


EXPIRY = utc_today() + timedelta(days=400)


@pytest.fixture
def world(make):
    provider = make.provider(name="Acme Medical")
    return SimpleNamespace(
        provider=provider,
        location=make.location(provider, name="Main"),
        item=make.item(code="OXY-CONC-10L", name="Oxygen concentrator 10 L", gtin=GTIN),
        plain_item=make.item(code="MASK-N95", category="ppe"),
    )


@pytest.fixture
def keeper(make, world):
    return make.api("provider", provider=world.provider)
