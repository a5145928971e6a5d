"""A rules editor on Settings, shared by Settings › Alert rules and Settings › Playbooks: the tab's card
(the rules table and their recent changes, filled when the tab opens), a modal form to add, edit or
delete a rule, and the callbacks behind them. Admins only: every callback checks the role on the
server first. What differs per editor — its ids, texts, how a rule is loaded, saved and deleted — is a
``RuleEditor``; ``register`` adds its callbacks. The writes themselves (``data_access.alert_rules``,
``data_access.playbooks``) are validated, transactional, audited and version-checked.

Imported by the tab modules (``pages/_alert_rules.py``, ``pages/_playbooks.py``), not a page of its own.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

import auth
from components import forms
from components.ids import SETTINGS_TABS, RuleEditorIds
from data_access.db import StaleEdit
from data_access.runtime import get_runtime

MALFORMED = "The form does not match a rule; reload the page."


@dataclass(frozen=True)
class RuleEditor:
    """One editor. ``load(rt, rule_id)``: the rule's form values (by field) and ``"version"``, or None
    when it is gone; ``save(rt, raw, editing, email)``: validate ``raw`` (the form's values by field) and
    create the rule (``editing`` None) or update ``editing["id"]`` as loaded at ``editing["version"]``,
    returning the success message; ``delete(rt, rule_id, version, email)``. ``save``/``delete`` raise
    ``refusal`` (with ``errors``: field → message), ``StaleEdit``, or ``KeyError``/``TypeError``/
    ``ValueError`` for a form that is not one of theirs. ``view(rt)``: the rules table and their changes."""

    ids: RuleEditorIds
    tab: str  # the Settings tab (``tab_id``) that shows it
    title: str  # the card's heading
    intro: object  # the card's help text (Dash children)
    refused: str  # the message to a non-admin
    new_title: str
    edit_title: str
    new_values: dict
    view: Callable
    load: Callable
    save: Callable
    delete: Callable
    refusal: type[Exception]


def card(editor: RuleEditor, form: list) -> dbc.Card:
    """The tab's card and the rule modal holding ``form`` (skeleton; the callbacks fill it for admins)."""
    i = editor.ids
    return dbc.Card([
        dbc.CardHeader(dbc.Row([
            dbc.Col(html.H4(editor.title, className="mb-0"), className="d-flex align-items-center"),
            dbc.Col(dbc.Button("Add rule", id=i.part("add"), color="primary", size="sm"), width="auto"),
        ], className="g-2 justify-content-between")),
        dbc.CardBody([html.P(editor.intro, className="text-muted small"),
                      html.Div(id=i.message, className="mb-2"), html.Div(id=i.table)]),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(id=i.part("title"))),
            dbc.ModalBody([*form, html.Div(id=i.part("form-message"))]),
            dbc.ModalFooter([
                dbc.Button("Delete", id=i.part("delete"), color="danger", outline=True, className="me-auto"),
                dbc.Button("Cancel", id=i.part("cancel"), color="secondary", outline=True),
                dbc.Button("Save rule", id=i.part("save"), color="primary"),
            ]),
        ], id=i.part("modal"), is_open=False, backdrop="static", scrollable=True),
        dcc.Store(id=i.part("editing")),
    ], className="mb-4 settings-card")


def _is_admin_user():
    user = auth.current_user()
    return user if user is not None and user.can("admin") else None


def register(editor: RuleEditor) -> None:
    """Add the editor's callbacks: the table when its tab opens, open the form (Add / Edit), save,
    delete, cancel."""
    i = editor.ids

    @callback(Output(i.table, "children"), Input(SETTINGS_TABS, "active_tab"))
    def show_rules(active_tab):
        """The rules and their changes when the tab opens (admins only)."""
        if active_tab != editor.tab:
            return no_update
        if not auth.has_role("admin"):
            return forms.message(editor.refused)
        return editor.view(get_runtime())

    @callback(
        Output(i.part("modal"), "is_open"), Output(i.part("title"), "children"), Output(i.part("editing"), "data"),
        Output(i.field(ALL), "value"), Output(i.feedback(ALL), "children"), Output(i.part("form-message"), "children"),
        Output(i.part("delete"), "style"),
        Input(i.part("add"), "n_clicks"), Input(i.edit(ALL), "n_clicks"), prevent_initial_call=True)
    def open_form(_add, _edits):
        """Open the form empty (Add rule) or with a rule's stored values (Edit); admins only."""
        if not ctx.triggered or not ctx.triggered[0]["value"]:  # the table re-rendered its buttons: no click
            raise PreventUpdate
        blank, hidden = [None] * len(ctx.outputs_list[4]), {"display": "none"}
        if not auth.has_role("admin"):
            return False, no_update, None, [no_update] * len(ctx.outputs_list[3]), blank, None, hidden
        new = forms.values_for(ctx.outputs_list[3], editor.new_values)
        if ctx.triggered_id == i.part("add"):
            return True, editor.new_title, None, new, blank, None, hidden
        rule_id = int(ctx.triggered_id["rule"])
        values = editor.load(get_runtime(), rule_id)
        if values is None:
            return (True, editor.edit_title, None, new, blank,
                    forms.message("This rule was deleted by someone else; close and reload."), hidden)
        return (True, editor.edit_title, {"id": rule_id, "version": values["version"]},
                forms.values_for(ctx.outputs_list[3], values), blank, None, {})

    @callback(
        Output(i.part("modal"), "is_open", allow_duplicate=True), Output(i.feedback(ALL), "children", allow_duplicate=True),
        Output(i.part("form-message"), "children", allow_duplicate=True), Output(i.table, "children", allow_duplicate=True),
        Output(i.message, "children"),
        Input(i.part("save"), "n_clicks"), State(i.field(ALL), "value"), State(i.part("editing"), "data"),
        prevent_initial_call=True)
    def save_rule(n_clicks, _values, editing):
        """Validate the form and create or update the rule (audited; a stale edit is refused). Admins only."""
        if not n_clicks:
            raise PreventUpdate
        feedback_ids = [out["id"]["field"] for out in ctx.outputs_list[1]]
        blank = [None] * len(feedback_ids)
        user = _is_admin_user()
        if user is None:
            return no_update, blank, forms.message(editor.refused), no_update, no_update
        rt = get_runtime()
        raw = {item["id"]["field"]: item.get("value") for item in ctx.states_list[0]}
        try:
            done = editor.save(rt, raw, editing, user.email)
        except editor.refusal as e:
            shown, alert = forms.refused(e.errors, feedback_ids)
            return no_update, shown, alert, no_update, no_update
        except StaleEdit as e:
            return (no_update, blank, forms.message(f"Nothing saved: this rule was {e} (close the form and edit it "
                                                    "again)."), editor.view(rt), no_update)
        except (KeyError, TypeError, ValueError):
            return no_update, blank, forms.message(MALFORMED), no_update, no_update
        return False, blank, None, editor.view(rt), forms.message(done, "success")

    @callback(
        Output(i.part("modal"), "is_open", allow_duplicate=True),
        Output(i.part("form-message"), "children", allow_duplicate=True),
        Output(i.table, "children", allow_duplicate=True), Output(i.message, "children", allow_duplicate=True),
        Input(i.part("delete"), "n_clicks"), State(i.part("editing"), "data"), prevent_initial_call=True)
    def delete_rule(n_clicks, editing):
        """Delete the rule in the form (audited; a stale one is refused). Admins only."""
        if not n_clicks or not editing:
            raise PreventUpdate
        user = _is_admin_user()
        if user is None:
            return no_update, forms.message(editor.refused), no_update, no_update
        rt = get_runtime()
        try:
            done = editor.delete(rt, int(editing["id"]), int(editing["version"]), user.email)
        except StaleEdit as e:
            return no_update, forms.message(f"Not deleted: this rule was {e}."), editor.view(rt), no_update
        except editor.refusal as e:
            return no_update, forms.message(str(e.errors.get("form", e))), editor.view(rt), no_update
        except (KeyError, TypeError, ValueError):
            return no_update, forms.message(MALFORMED), no_update, no_update
        return False, None, editor.view(rt), forms.message(done, "success")

    @callback(Output(i.part("modal"), "is_open", allow_duplicate=True), Input(i.part("cancel"), "n_clicks"),
              prevent_initial_call=True)
    def close_form(n_clicks):
        return False if n_clicks else no_update
