"""What the modal forms of governed data share (Settings › Alert rules, Renewals): a labelled input with
its message underneath, the form's alert, and the per-field messages of a refused save (pure builders)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def field(label: str, control, feedback_id: dict, help_text: str | None = None) -> html.Div:
    """``control`` with its label (none when ``label`` is empty), help text and the element
    ``feedback_id`` that shows its validation message."""
    return html.Div([dbc.Label(label, className="small mb-1") if label else None, control,
                     html.Div(help_text, className="form-text") if help_text else None,
                     html.Div(id=feedback_id, className="small text-danger")], className="mb-3")


def message(text, color: str = "danger") -> dbc.Alert:
    """The form's or page's alert (a success can be dismissed)."""
    return dbc.Alert(text, color=color, className="mb-0", dismissable=color == "success")


def values_for(outputs: list[dict], values: dict) -> list:
    """``values`` in the order of a wildcard output over the form's fields (``ctx.outputs_list[i]``:
    each output's id has a ``field`` key)."""
    return [values.get(out["id"]["field"]) for out in outputs]


def refused(errors: dict[str, str], feedback_fields: list[str]) -> tuple[list, dbc.Alert]:
    """A refused save: the message under each field (``None`` where it is fine) and the form's alert,
    which carries the messages of anything that is not a field (``form``)."""
    other = [m for f, m in errors.items() if f not in feedback_fields]
    return ([errors.get(f) for f in feedback_fields],
            message(["Nothing saved. ", *other] if other else "Nothing saved: fix the fields marked in red."))
