"""CSV export that a spreadsheet opens as data, never as formulas.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(…)``,
``@SUM(…)``, DDE payloads). ``to_csv`` prefixes such text cells with ``'`` (OWASP's
"CSV injection" advice), so a deal named ``=1+1`` arrives as the text ``=1+1``.
Numbers are written as numbers: ``-1200.5`` stays a negative number.
"""
from __future__ import annotations

import numbers

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv(df: pd.DataFrame) -> str:
    """The frame as CSV text (header row, no index, CRLF) with every text cell neutralised.

    Column names are cells too and are neutralised the same way. Numeric columns, and
    numbers inside object columns (``bool`` aside), are left as numbers.
    """
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        out[col] = series.map(lambda v: v if isinstance(v, numbers.Number) else neutralise(v))
    # RFC 4180 line ends: a cell holding a bare CR or LF is then quoted, never a broken row
    return out.to_csv(index=False, lineterminator="\r\n")
