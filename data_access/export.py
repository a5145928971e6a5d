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


def is_sort_helper(name: str) -> bool:
    """A column that only orders rows (``stage_order``, ``bucket_order``): never shown or exported."""
    return name.endswith("_order")


def export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A view's frame as a download or API CSV gets it: sort-helper columns dropped, identifiers
    (``*_id``) as whole numbers (nullable ``Int64``: ``40152321``, never ``40152321.0``), money
    (``*_usd``) rounded to cents (``314117.6``, never ``314117.60000000003``)."""
    out = df[[c for c in df.columns if not is_sort_helper(c)]].copy()
    for c in out.columns:
        if c.endswith("_id") and pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round().astype("Int64")
        elif c.endswith("_usd") and pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].round(2)
    return out


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
        # built as object: Series.map would re-infer [11, None] as floats and write "11.0"
        out[col] = pd.Series([v if isinstance(v, numbers.Number) else neutralise(v) for v in series],
                             index=series.index, dtype=object)
    # RFC 4180 line ends: a cell holding a bare CR or LF is then quoted, never a broken row
    return out.to_csv(index=False, lineterminator="\r\n")
