"""The bottleneck dashboard: a Dash app over a store, safe by default (see ``_app``)."""

from flowmine.dashboard._app import create_app, serve

__all__ = ["create_app", "serve"]
