"""``Annotated`` dependency aliases used by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from web.auth import Viewer, resolve_viewer
from web.context import AppContext


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


async def get_viewer(request: Request) -> Viewer:
    viewer: Viewer = await resolve_viewer(request, get_context(request))
    request.state.viewer = viewer
    return viewer


Ctx = Annotated[AppContext, Depends(get_context)]
CurrentViewer = Annotated[Viewer, Depends(get_viewer)]
