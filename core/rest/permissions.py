"""Permissions of the REST APIs (chat's, agents', the CRM's).

Authenticated users read; only staff change settings, pause types and queues.
Which chats an agent may see is a selector (``chats_visible_to``): a chat
outside it answers 404, as if it did not exist."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsStaffOrReadOnly(BasePermission):
    message = "Only staff can change this."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or bool(user.is_staff)


class IsStaff(BasePermission):
    message = "Only staff can do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)
