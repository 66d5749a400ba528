"""OpenAPI generation tweaks."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema


class ParleyAutoSchema(AutoSchema):
    """Name the nested serializers of the views after their view
    (``ChatAssignApi.InputSerializer`` -> ``ChatAssignInput``), so that the many
    ``InputSerializer`` classes become distinct components."""

    def get_serializer_name(self, serializer, direction):
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.rsplit(".", 1)[-2:] if qualname.count(".") else ("", qualname)
            outer = outer.split(".")[-1]
            if outer.endswith("Api"):
                outer = outer[:-3]
            inner = inner.removesuffix("Serializer")
            return f"{outer}{inner}"
        return super().get_serializer_name(serializer, direction)
