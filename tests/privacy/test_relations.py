"""Every relation that points at what is stored about a person is covered by the export and the erasure
(privacy/services/relations.py): a model added later with a foreign key to a chat, a customer, a message, an
attachment … fails here until ``RELATIONS`` says what happens to its rows."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from chat.models import Attachment, Chat, Message
from crm.models import Customer
from privacy.services.relations import NOT_EXPORTED, RELATIONS, tree_models, uncovered_relations


def test_every_relation_to_a_persons_rows_is_covered_by_export_and_erasure():
    problems = uncovered_relations()
    print(f"relations into {', '.join(m._meta.label for m in tree_models())}: {len(RELATIONS)} covered, "
          f"{len(problems)} not")
    assert problems == []


def test_the_tree_holds_the_customer_the_chats_and_everything_below_them():
    assert {Customer, Chat, Message, Attachment} <= set(tree_models())
    assert {m._meta.label for m in tree_models()} >= {"chat.ChatEvent", "chat.NoReplyExclusion"}


@isolate_apps("privacy")
def test_a_new_model_pointing_at_a_chat_is_reported_until_it_is_covered():
    class ChatSurvey(models.Model):  # noqa: DJ008
        chat = models.ForeignKey(Chat, on_delete=models.CASCADE)
        answer = models.TextField()

        class Meta:
            app_label = "privacy"

    class AttachmentScan(models.Model):  # noqa: DJ008
        attachment = models.OneToOneField(Attachment, on_delete=models.CASCADE)

        class Meta:
            app_label = "privacy"

    problems = uncovered_relations([*apps.get_models(), ChatSurvey, AttachmentScan])
    assert problems == [
        "privacy.ChatSurvey.chat -> chat.Chat is not covered",
        "privacy.AttachmentScan.attachment -> chat.Attachment is not covered",
    ]


def test_only_secrets_are_left_out_of_an_export():
    for label, name in NOT_EXPORTED:
        field = apps.get_model(label)._meta.get_field(name)
        assert not field.editable, f"{label}.{name} is left out of exports but is no hidden secret"
