"""Forms of the parameter card in the admin.

The labels and help texts follow the vendor documentation
(``seed/chat-parameters.pl.txt``): the English strings are the source, the
Polish translation in ``locale/pl`` is the seed's wording.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from chat.models import ChatSettings
from chat.services.errors import ChatError
from chat.services.settings import strategy_order_validate

CARD_LABELS = {
    "inactivity_timeout_website": _("Website chat [seconds]"),
    "inactivity_timeout_messenger": _("Facebook chat [seconds]"),
    "inactivity_timeout_internal": _("Close an internal conversation inactive for [seconds]"),
    "inactivity_counted_from": _("Count inactivity from"),
    "no_reply_transfer_after": _("Transfer to another agent when no reply for [seconds]"),
    "no_reply_pause_type": _("Pause on no reply"),
    "no_inbox_after": _("Act when an agent has had no open inbox for [seconds]"),
    "no_inbox_pause_type": _("Pause when the inbox is closed"),
    "max_concurrent_chats": _("Maximum number of concurrent chats per agent"),
    "assign_during_phone_call": _("Assign chats to agents on a phone call"),
    "auto_add_to_crm": _("Add the client to the CRM automatically"),
    "welcome_message_when": _("Send a welcome message when"),
    "welcome_message_text": _("Welcome message text"),
    "delete_chats_after_days": _("Delete chats after X days (0 = off)"),
    "stop_auto_assign_after_hours": _("Stop automatic assignment of agents after X hours"),
    "file_upload_enabled": _("Enable file transfer"),
    "file_max_size_mb": _("Maximum file size [MB]"),
    "file_download_hours": _("Time the client can download a file [hours]"),
    "rating_survey_enabled": _("Ask the client for a rating after the chat"),
}

CARD_HELP_TEXTS = {
    "inactivity_timeout_website": _(
        "Seconds after which an inactive conversation from the website is closed automatically. "
        "Default: 3600 seconds (60 minutes)."
    ),
    "inactivity_timeout_messenger": _(
        "Seconds after which an inactive conversation from Facebook Messenger is closed automatically. "
        "Default: 604800 (7 days)."
    ),
    "inactivity_timeout_internal": _(
        "Seconds after which an inactive internal conversation (between users of the system) is closed. "
        "Default: 28800 (480 minutes)."
    ),
    "inactivity_counted_from": _(
        "From which moment inactivity of a website chat is counted: from closing the page (default) "
        "or from the client's last message. Facebook chats always count from the client's last message."
    ),
    "no_reply_transfer_after": _(
        "Seconds after which an unanswered conversation is handed to another agent. Default: 60 seconds."
    ),
    "no_reply_pause_type": _(
        "The pause an agent is put on when he did not answer the client's first message. Choose one of the "
        "built-in pauses (wrap-up, administrative, break, business task, callback progress) or your own."
    ),
    "no_inbox_after": _(
        "An agent who closed the inbox (or lost the connection) for this long gets no more chats: he is put on "
        "the pause below, or logged out, and his open chats go back to the queue for colleagues. Reopening the "
        "inbox within this time changes nothing. 0 = never. Default: 60 seconds."
    ),
    "no_inbox_pause_type": _(
        "The pause an agent without an open inbox is put on. Leave it empty to log him out (default)."
    ),
    "max_concurrent_chats": _("How many conversations one agent can hold at the same time. Default: 3."),
    "assign_during_phone_call": _(
        "Give chats to agents who are on a phone call right now. Switch it off and an agent talking to a "
        "client on the phone gets no new chat."
    ),
    "auto_add_to_crm": _(
        "Add a new client to the CRM automatically when a new chat starts, so that the whole history is "
        "visible when he writes again. Off by default."
    ),
    "welcome_message_when": _(
        "When the client gets the welcome message: never, when the conversation starts or when an agent is assigned."
    ),
    "welcome_message_text": _('For example "Witam, w czym mogę pomóc?". Required unless the message is never sent.'),
    "delete_chats_after_days": _(
        "Closed chats older than this many days are deleted with their messages and "
        "files. 0 switches deleting off (default)."
    ),
    "stop_auto_assign_after_hours": _(
        "After this time waiting chats (e.g. the client wrote after working hours) are no longer assigned "
        'automatically; the waiting list shows an "Assign" button so an agent can take the chat himself. '
        "0 = never stop. Default: 24 hours."
    ),
    "file_upload_enabled": _("Visitors and agents can send files (attachments) during the conversation."),
    "file_max_size_mb": _("The largest file that can be sent. Default: 8 MB."),
    "file_download_hours": _("How long a file can be downloaded; then it is removed. Default: 24 hours."),
    "rating_survey_enabled": _(
        "When a chat closes, the widget asks the client to rate it from 1 to 5 with an optional comment, and "
        "Messenger sends the question with the answers 1 to 5. One rating per chat. On by default."
    ),
}


class ChatSettingsForm(forms.ModelForm):
    """The card; validation is the model's (``full_clean``), the save goes through ``chat_settings_update``."""

    class Meta:
        model = ChatSettings
        fields = list(CARD_LABELS)
        labels = CARD_LABELS
        help_texts = CARD_HELP_TEXTS
        widgets = {"welcome_message_text": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The bounds are the model's (``ChatSettings.limits``, from the fields' validators): the form field of a
        # PositiveIntegerField would stop at 0 and know no maximum. The message then names the real limit, and
        # the browser's number input gets the same min and max.
        for name, field in self.fields.items():
            if not isinstance(field, forms.IntegerField):
                continue
            limits = ChatSettings.limits(name)
            field.min_value, field.max_value = limits["min_value"], limits["max_value"]
            field.validators = [
                v for v in field.validators if not isinstance(v, MinValueValidator | MaxValueValidator)
            ] + [MinValueValidator(field.min_value), MaxValueValidator(field.max_value)]
            field.widget.attrs.update({"min": field.min_value, "max": field.max_value})


class StrategyStepForm(forms.ModelForm):
    """One row of a strategy order; ``position`` is written by the drag-and-drop script."""

    position = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    class Meta:
        fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["position"].initial = self.instance.order


class StrategyOrderFormSet(BaseInlineFormSet):
    """The rows of one strategy order. It never saves rows itself: the admin passes ``codes``
    (the rows sorted by their new positions) to ``strategy_order_set``."""

    kind = ""

    def clean(self):
        super().clean()
        self.codes = None
        if any(self.errors):
            return
        rows = sorted(
            (form.cleaned_data.get("position", index), index, form.instance.code)
            for index, form in enumerate(self.forms)
        )
        try:
            self.codes = strategy_order_validate(kind=self.kind, codes=[code for _pos, _index, code in rows])
        except ChatError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc

    def save(self, commit=True):
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        return []


class AgentStrategyOrderFormSet(StrategyOrderFormSet):
    kind = "agent"


class ChatStrategyOrderFormSet(StrategyOrderFormSet):
    kind = "chat"
