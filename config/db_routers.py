"""The embedded channel layer's database (docs/live.md): channels-lite's tables, and nothing else, live there."""

from __future__ import annotations

from channels_lite.router import ChannelsRouter


class LiveLayerRouter(ChannelsRouter):
    """channels-lite's own router sends its models to the layer's database; this one also keeps every other
    app's tables (and data migrations) out of that file."""

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == self.database and app_label not in self.route_app_labels:
            return False
        return super().allow_migrate(db, app_label, model_name=model_name, **hints)
