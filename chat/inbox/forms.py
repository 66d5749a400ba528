"""Input forms of the agent inbox: they parse and validate input only; the
rules live in the services the views call."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agents.models import ACTIVE_AGENT, PauseType, User


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"),
        max_length=10000,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": _("Write a reply… (Enter sends, Shift+Enter: new line, / canned responses)"),
                "aria-autocomplete": "list",
                "aria-controls": "canned-picker",
            }
        ),
    )

    # A private note: the agents see it, the visitor never does (Message.Sender.NOTE).
    note = forms.BooleanField(label=_("Private note (the visitor will not see it)"), required=False)

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write a message."))
        return body


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))

    @classmethod
    def refused(cls, message) -> UploadForm:
        """The form showing ``message`` on its file (a body refused before it was read)."""
        form = cls(data={}, files={})
        form.full_clean()
        form.errors["file"] = form.error_class([message])
        return form


class TransferForm(forms.Form):
    target = forms.CharField(label=_("Transfer to"))
    note = forms.CharField(label=_("Note for the next agent"), required=False, max_length=1000)

    def __init__(self, *args, agents=(), queues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.agents = {str(a.pk): a for a in agents}
        self.queues = {str(q.pk): q for q in queues}

    def clean_target(self):
        kind, _sep, pk = self.cleaned_data["target"].partition(":")
        if kind == "agent" and pk in self.agents:
            return {"to_agent_id": int(pk)}
        if kind == "queue" and pk in self.queues:
            return {"to_queue_id": int(pk)}
        raise forms.ValidationError(_("Choose an agent or a queue."))


class CloseForm(forms.Form):
    """The close dialog: the disposition (which must be active, and present when the card requires it, is the
    service's rule: ``chat_close``)."""

    disposition = forms.IntegerField(label=_("Disposition"), required=False, min_value=1)


class PresenceForm(forms.Form):
    AVAILABLE = "available"
    PAUSE = "pause"
    LOGOUT = "logout"
    action = forms.ChoiceField(choices=[(AVAILABLE, AVAILABLE), (PAUSE, PAUSE), (LOGOUT, LOGOUT)])
    pause_type = forms.ModelChoiceField(queryset=PauseType.objects.all(), required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") == self.PAUSE and not data.get("pause_type"):
            self.add_error("pause_type", _("Choose a pause type."))
        return data


class InternalChatForm(forms.Form):
    peer = forms.ModelChoiceField(
        label=_("Colleague"), queryset=User.objects.filter(ACTIVE_AGENT.q()), empty_label=_("Choose a colleague")
    )



class CustomerForm(forms.Form):
    """The customer card's "Add to the CRM" and "Edit": name, e-mail and phone for every agent; owner and VIP
    only in a staff member's form (an agent's POST naming them is not read; the CRM service refuses them from
    an agent anyway). The rules (not empty, the e-mail nobody else's) are the CRM service's."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.filter(ACTIVE_AGENT.q()), required=False, empty_label="—"
    )
    vip = forms.BooleanField(label=_("VIP"), required=False)

    def __init__(self, *args, staff: bool = False, prefix: str = "customer", **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        if not staff:
            del self.fields["owner"]
            del self.fields["vip"]

    def service_fields(self) -> dict:
        fields = dict(self.cleaned_data)
        if "owner" in fields:
            owner = fields.pop("owner")
            fields["owner_id"] = owner.pk if owner else None
        return fields


class CannedResponseForm(forms.Form):
    """An agent's own canned response (the service checks the shortcut and the rest)."""

    shortcut = forms.CharField(
        label=_("Shortcut"), max_length=50,
        help_text=_("Typed after “/” in the reply box, e.g. “thanks”: letters, digits, hyphens and underscores."),
    )
    title = forms.CharField(label=_("Title"), max_length=100)
    body = forms.CharField(
        label=_("Text"), max_length=5000, strip=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Placeholders filled in when inserted: {visitor_name}, {agent_name}, {queue}."),
    )
