"""Serializers of the CRM's API."""

from __future__ import annotations

from rest_framework import serializers

from agents.models import ACTIVE_AGENT, User
from crm.models import Customer


class CustomerOutput(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "messenger_id", "owner", "vip", "created_at", "updated_at"]


class CustomerInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    email = serializers.EmailField(max_length=254, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=40, allow_blank=True, required=False)
    messenger_id = serializers.CharField(max_length=64, allow_blank=True, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(ACTIVE_AGENT.q()), allow_null=True,
                                               required=False, help_text="Staff only (403 for an agent).")
    vip = serializers.BooleanField(required=False, help_text="Staff only (403 for an agent).")

    def service_fields(self) -> dict:
        """The validated fields as the services take them (``owner_id``)."""
        fields = dict(self.validated_data)
        if "owner" in fields:
            owner = fields.pop("owner")
            fields["owner_id"] = owner.pk if owner else None
        return fields
