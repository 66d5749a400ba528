"""The customers' admin with the privacy requests: the actions "Export personal data" (one customer: the ZIP
archive) and "Erase personal data" (a confirmation page first), and both as buttons on a customer's page.

The CRM's own ``CustomerAdmin`` (crm/admin.py) is registered again as this subclass: the CRM may not import the
chat services that an erasure needs (the import layers, docs/decisions.md), the privacy app may import the CRM."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm.admin import CustomerAdmin
from crm.models import Customer
from privacy.models import PrivacyRequest
from privacy.services import privacy_erase, privacy_export, privacy_subject, privacy_summary

from .forms import PrivacyConfirmForm
from .requests import erased_message, export_response, ordered_counts


def may_make_privacy_requests(request) -> bool:
    return request.user.has_perm("privacy.add_privacyrequest")


@admin.action(permissions=["privacy"], description=_("Export personal data (GDPR art. 15)"))
def export_personal_data(modeladmin, request, queryset):
    """One customer's ZIP archive (a download answers one request: select one customer)."""
    customers = list(queryset[:2])
    if len(customers) != 1:
        modeladmin.message_user(request, _("Select exactly one customer to export his data."), messages.WARNING)
        return None
    subject = privacy_subject(customer_id=customers[0].pk)
    return export_response(privacy_export(subject, actor=request.user, via=PrivacyRequest.Via.ADMIN))


@admin.action(permissions=["privacy"], description=_("Erase personal data (GDPR art. 17)"))
def erase_personal_data(modeladmin, request, queryset):
    """A confirmation page with what each selected customer's erasure covers; erased only once confirmed, all of
    them in one transaction (one audit record each)."""
    customers = list(queryset.order_by("pk"))
    form = PrivacyConfirmForm(request.POST if request.POST.get("post") == "yes" else None)
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            records = [
                privacy_erase(privacy_subject(customer_id=customer.pk), actor=request.user,
                              via=PrivacyRequest.Via.ADMIN, confirm=form.cleaned_data["confirm"])
                for customer in customers
            ]
        for record in records:
            modeladmin.message_user(request, erased_message(record), messages.SUCCESS)
        return None
    rows = []
    for customer in customers:
        counts = privacy_summary(privacy_subject(customer_id=customer.pk))
        rows.append((customer, [(label, value) for _key, label, value in ordered_counts(counts)]))
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": ngettext("Erase the personal data of %(n)d customer?",
                          "Erase the personal data of %(n)d customers?", len(customers)) % {"n": len(customers)},
        "opts": modeladmin.model._meta,
        "rows": rows,
        "form": form,
        "queryset": queryset,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action": "erase_personal_data",
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/privacy/erase_confirmation.html", context)


admin.site.unregister(Customer)


@admin.register(Customer)
class PrivacyCustomerAdmin(CustomerAdmin):
    actions = [export_personal_data, erase_personal_data]
    change_form_template = "admin/privacy/customer_change_form.html"

    def get_queryset(self, request):
        # The CRM's queryset counts chats (a GROUP BY, which hides the model's default ordering from Django): the
        # search box of the request page pages through it, so the order is said again.
        return super().get_queryset(request).order_by(*Customer._meta.ordering)

    def has_privacy_permission(self, request) -> bool:
        return may_make_privacy_requests(request)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["may_make_privacy_requests"] = may_make_privacy_requests(request)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
