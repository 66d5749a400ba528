"""The audit records of privacy requests (read-only), and the page that makes one: export everything stored about
a customer or an e-mail as a ZIP archive, or erase it (docs/privacy.md)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_base import ReadOnlyAdminMixin
from privacy.models import PrivacyRequest
from privacy.services import privacy_erase, privacy_export, privacy_summary

from .forms import PrivacyRequestForm

# The counts' keys, as people read them (the records keep the keys).
COUNT_LABELS = {
    "customers": _("customers"),
    "chats": _("chats"),
    "open_chats": _("open chats (closed first)"),
    "open_chats_closed": _("open chats closed first"),
    "messages": _("messages"),
    "attachments": _("attachments"),
    "files": _("stored files"),
    "events": _("chat events"),
    "no_reply_exclusions": _("no-reply exclusions"),
    "admin_log_entries": _("admin history entries scrubbed"),
    "event_mentions": _("mentions in other chats' events scrubbed"),
    "login_attempts": _("failed logins deleted"),
}


def ordered_counts(counts: dict) -> list[tuple[str, str, int]]:
    """(key, label, value) in the order of ``COUNT_LABELS`` (the database keeps a JSON object's keys in its own
    order), unknown keys last."""
    order = list(COUNT_LABELS)
    keys = sorted(counts, key=lambda key: (order.index(key) if key in order else len(order), key))
    return [(key, COUNT_LABELS.get(key, key), counts[key]) for key in keys]


def counts_text(counts: dict) -> str:
    return ", ".join(f"{label}: {value}" for _key, label, value in ordered_counts(counts))


def export_response(export) -> FileResponse:
    return FileResponse(export.archive, as_attachment=True, filename=export.filename,
                        content_type="application/zip")


def erased_message(record: PrivacyRequest) -> str:
    return _("Erased. Reference %(reference)s: %(counts)s.") % {
        "reference": record.reference, "counts": counts_text(record.counts),
    }


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit records: shown, never changed or deleted here. "Add" opens the request page."""

    list_display = ("reference", "kind", "subject_kind", "via", "actor_label", "created_at", "counts_label")
    list_filter = ("kind", "via", "subject_kind")
    search_fields = ("reference", "actor_username")
    date_hierarchy = "created_at"
    fields = ("reference", "kind", "subject_kind", "via", "actor", "actor_username", "created_at", "counts_table")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("privacy.add_privacyrequest")

    @admin.display(description=_("by"), ordering="actor_username")
    def actor_label(self, obj):
        return obj.actor_username or "—"

    @admin.display(description=_("counts"))
    def counts_label(self, obj):
        # The list shows what there was (the record's page shows the zeros too).
        return counts_text({key: value for key, value in obj.counts.items() if value}) or "—"

    @admin.display(description=_("counts"))
    def counts_table(self, obj):
        return format_html_join(
            "", '<div data-count="{}"><b>{}</b>: {}</div>',
            ordered_counts(obj.counts),
        )

    def add_view(self, request, form_url="", extra_context=None):
        """The request page: export (the ZIP archive is the answer) or erase (back to the records with the
        reference and the counts). A refused form shows what the request would cover."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = PrivacyRequestForm(request.POST, admin_site=self.admin_site)
            if form.is_valid():
                if form.cleaned_data["kind"] == PrivacyRequest.Kind.EXPORT:
                    return export_response(privacy_export(form.subject, actor=request.user,
                                                          via=PrivacyRequest.Via.ADMIN))
                record = privacy_erase(form.subject, actor=request.user, via=PrivacyRequest.Via.ADMIN,
                                       confirm=form.cleaned_data["confirm"])
                self.message_user(request, erased_message(record), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:privacy_privacyrequest_changelist"))
        else:
            initial = {key: request.GET[key] for key in ("customer", "email", "kind") if request.GET.get(key)}
            form = PrivacyRequestForm(initial=initial, admin_site=self.admin_site)
        summary = None
        if form.is_bound and form.subject is not None:
            summary = [(label, value) for _key, label, value in ordered_counts(privacy_summary(form.subject))]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Export or erase personal data"),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "summary": summary,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/privacy/request_form.html", context)
