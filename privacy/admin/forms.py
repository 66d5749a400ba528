"""The admin's privacy request form: what to do (export or erase), about whom (a customer or an e-mail), and, for
an erasure, the confirmation. The subject is resolved by the privacy services (one rule for every way in)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from chat.models import Chat
from core.errors import ApplicationError
from crm.models import Customer
from privacy.models import PrivacyRequest
from privacy.services import privacy_erase_check, privacy_subject

CONFIRM_LABEL = _("I confirm: erase everything stored about this person. This cannot be undone.")


class PrivacyConfirmForm(forms.Form):
    """The confirmation of an erasure (the customers' action asks it for the selected customers)."""

    confirm = forms.BooleanField(label=CONFIRM_LABEL, required=False)

    def clean_confirm(self):
        confirm = self.cleaned_data.get("confirm")
        try:
            privacy_erase_check(confirm=confirm)
        except ApplicationError as exc:
            raise forms.ValidationError(str(exc), code=exc.code)
        return confirm


class PrivacyRequestForm(PrivacyConfirmForm):
    kind = forms.ChoiceField(
        label=_("Request"), choices=PrivacyRequest.Kind.choices, initial=PrivacyRequest.Kind.EXPORT,
        widget=forms.RadioSelect,
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.all(), required=False,
        help_text=_("A CRM customer: his row, his chats, the chats with his e-mail or his Messenger id."),
    )
    email = forms.CharField(
        label=_("E-mail"), required=False, max_length=320,
        help_text=_("Or a visitor's e-mail (any case): its customer, if any, and every chat that carries it."),
    )
    field_order = ["kind", "customer", "email", "confirm"]

    def __init__(self, *args, admin_site=admin.site, **kwargs):
        super().__init__(*args, **kwargs)
        # The admin's own search box for customers (CustomerAdmin.search_fields), as a chat's customer field has.
        customer = self.fields["customer"]
        customer.widget = AutocompleteSelect(Chat._meta.get_field("customer"), admin_site)
        customer.widget.choices = customer.choices
        self.subject = None

    def clean_confirm(self):
        return self.cleaned_data.get("confirm")  # checked in clean(): only an erasure needs it

    def clean(self):
        cleaned = super().clean()
        if "customer" in self.errors:  # an unknown customer: Django's "Select a valid choice"
            return cleaned
        customer = cleaned.get("customer")
        try:
            self.subject = privacy_subject(customer_id=customer.pk if customer else None, email=cleaned.get("email"))
        except ApplicationError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, str(exc))
            return cleaned
        if cleaned.get("kind") == PrivacyRequest.Kind.ERASE:
            try:
                privacy_erase_check(confirm=cleaned.get("confirm"))
            except ApplicationError as exc:
                self.add_error("confirm", str(exc))
        return cleaned
