"""GTINs as the catalogue keeps them: 14 digits, the check digit verified (by biip)."""

from __future__ import annotations

from biip import ParseError
from biip.gtin import Gtin
from flask_babel import lazy_gettext as _l


def normalize_gtin(value: str) -> str:
    """A GTIN-8, -12, -13 or -14 as 14 digits; ValueError naming the fault (length, check digit)."""
    digits = value.strip()
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise ValueError(_l("A GTIN has 8, 12, 13 or 14 digits."))
    try:
        return Gtin.parse(digits).as_gtin_14()
    except ParseError as error:
        raise ValueError(_l("Wrong check digit in GTIN %(gtin)s.", gtin=digits)) from error
