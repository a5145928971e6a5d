"""Callback of the navbar's account corner: the local-mode badge, or who is signed in."""
from __future__ import annotations

from dash import Input, Output, callback

import auth
from components import account, ids
from data_access.runtime import get_runtime


@callback(Output(ids.AUTH_CORNER, "children"), Input(ids.AUTH_CORNER, "id"))
def show_account(_id):
    """Filled once per page load, for this request's user."""
    return account.account_area(auth.current_user(), get_runtime().settings.auth_mode)
