"""A person with everything Parley can store about him, built through the services as production stores it, and
another person who must stay untouched. Used by the privacy tests and the browser test."""

from __future__ import annotations

from dataclasses import dataclass, field

from axes.models import AccessAttempt
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from chat.messenger.services import messenger_message_receive
from chat.models import Attachment, Chat, ChatEvent, Message
from chat.services.chats import chat_assign, chat_close, chat_start, chat_transfer
from chat.services.files import attachment_create
from chat.services.messages import message_post
from chat.services.offline import offline_message_submit
from chat.services.ratings import chat_rate
from crm.models import Customer
from crm.services import customer_create

# Every value is unique in the database, so that a search for it finds only what was stored about him.
NAME = "Zbigniewa Przykładowska"
EMAIL = "Zbigniewa.Prywatna@Example.com"  # as typed into the CRM; the widget lower-cases it
PHONE = "+48 601 999 111"
MESSENGER_ID = "PSID-PRIVACY-7733"
FILE_BYTES = b"%PDF-1.4 scan of the ID card of Zbigniewa, PRIVATE-BYTES-5521\n"
OTHER_NAME = "Teodor Innyklient"
OTHER_EMAIL = "teodor.inny@example.com"
OTHER_FILE_BYTES = b"Teodor's invoice, OTHER-BYTES-8812\n"


@dataclass
class Person:
    customer: Customer
    chats: list[Chat]
    open_chat: Chat
    files: list[str]  # stored names
    values: dict[str, str] = field(default_factory=dict)  # what names him, by what it is


@dataclass
class Other:
    customer: Customer
    chat: Chat
    file: str
    event: ChatEvent


def _upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def build_other(*, queue, agent) -> Other:
    """Teodor: a customer with a closed chat, a message and a file; nothing of his may go."""
    customer = customer_create(name=OTHER_NAME, email=OTHER_EMAIL)
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=OTHER_NAME,
                      visitor_email=OTHER_EMAIL, visitor_key="teodor-browser-0001")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body="Teodor asks about his invoice.")
    attachment = attachment_create(uploaded_file=_upload("invoice.txt", OTHER_FILE_BYTES, "text/plain"),
                                   chat_id=chat.pk, sender=Message.Sender.CLIENT)
    chat_close(chat_id=chat.pk, reason=Chat.CloseReason.AGENT, actor=agent)
    event = ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.CUSTOMER_LINKED).get()
    return Other(customer=customer, chat=chat, file=attachment.file.name, event=event)


def build_person(*, queue, agent, staff, other: Other | None = None) -> Person:
    """Zbigniewa: a website chat with her e-mail from before she was a customer (not linked), a closed website
    chat with messages both ways, a private note, a transfer note, two stored files and a rating (when the chat
    has rating fields), a Messenger chat with an agent's reply waiting in the outbox, an open website chat held by
    the agent; the admin's history of her customer row; a failed login typed with her e-mail; a mention of her
    customer id in an event of ``other``'s chat (a link that moved on)."""
    files = []
    # 1. Before she is a customer: a chat that carries her e-mail, linked to nobody.
    early = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=NAME, visitor_email=EMAIL,
                       visitor_key="zbigniewa-browser-01", page_url="https://shop.example.com/cart")
    message_post(chat_id=early.pk, sender=Message.Sender.CLIENT, body=f"Dzień dobry, tu {NAME}, mój e-mail {EMAIL}.")
    chat_close(chat_id=early.pk, reason=Chat.CloseReason.CLIENT)

    customer = customer_create(name=NAME, email=EMAIL, phone=PHONE, messenger_id=MESSENGER_ID, owner_id=agent.pk)

    # 2. A closed website chat, linked to her by the e-mail: messages, files, notes, a transfer.
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=NAME,
                      visitor_email=EMAIL.upper(), visitor_key="zbigniewa-browser-01")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body=f"Mój telefon to {PHONE}.")
    scan = attachment_create(uploaded_file=_upload("skan-dowodu.pdf", FILE_BYTES), chat_id=chat.pk,
                             sender=Message.Sender.CLIENT, body="Skan dowodu")
    reply = attachment_create(uploaded_file=_upload("faktura-zbigniewa.txt", b"Faktura dla " + NAME.encode() + b"\n",
                                                    "text/plain"),
                              chat_id=chat.pk, sender=Message.Sender.AGENT, author_id=agent.pk)
    files += [scan.file.name, reply.file.name]
    message_post(chat_id=chat.pk, sender=Message.Sender.NOTE, author=agent, body=f"{NAME} prefers phone: {PHONE}")
    chat_transfer(chat_id=chat.pk, to_queue_id=queue.pk, actor=staff, note=f"{NAME} waits for a callback")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    chat_close(chat_id=chat.pk, reason=Chat.CloseReason.AGENT, actor=agent)
    chat_rate(chat_id=chat.pk, score=5, comment=f"Thank you, {NAME}", via="widget")

    # 3. Messenger: her message and the agent's reply in the outbox.
    incoming = messenger_message_receive(sender_id=MESSENGER_ID, mid="m_privacy_0001", text="Hello from Messenger")
    messenger_chat = incoming.chat
    chat_assign(chat_id=messenger_chat.pk, agent_id=agent.pk)
    message_post(chat_id=messenger_chat.pk, sender=Message.Sender.AGENT, author_id=agent.pk,
                 body=f"Hello {NAME}, how can I help?")
    chat_close(chat_id=messenger_chat.pk, reason=Chat.CloseReason.AGENT, actor=agent)

    # 4. Open: a website chat that the agent holds (his slot).
    open_chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=NAME, visitor_email=EMAIL,
                           visitor_key="zbigniewa-browser-02")
    chat_assign(chat_id=open_chat.pk, agent_id=agent.pk)
    message_post(chat_id=open_chat.pk, sender=Message.Sender.CLIENT, body="Are you still there?")

    # 5. An offline message (the widget's offline form): the acknowledgement and the agent's answer go by e-mail
    # (two OfflineEmail rows, whose recipient is her address).
    offline = offline_message_submit(queue_id=queue.pk, name=NAME, email=EMAIL, body=f"Proszę o telefon: {PHONE}.")
    chat_assign(chat_id=offline.chat.pk, agent_id=agent.pk)
    message_post(chat_id=offline.chat.pk, sender=Message.Sender.AGENT, author_id=agent.pk,
                 body=f"Dzień dobry, {NAME}, oddzwonimy jutro.")
    chat_close(chat_id=offline.chat.pk, reason=Chat.CloseReason.AGENT, actor=agent)

    # Mentions in rows that stay.
    LogEntry.objects.create(
        user=staff, content_type=ContentType.objects.get_for_model(Customer), object_id=str(customer.pk),
        object_repr=str(customer), action_flag=CHANGE, change_message=f'[{{"changed": {{"fields": ["{NAME}"]}}}}]',
    )
    LogEntry.objects.create(
        user=staff, content_type=ContentType.objects.get_for_model(Chat), object_id=str(chat.pk),
        object_repr=str(Chat.objects.get(pk=chat.pk)), action_flag=CHANGE, change_message="[]",
    )
    AccessAttempt.objects.create(username=EMAIL.lower(), ip_address="10.9.8.7", user_agent="Mozilla/5.0",
                                 get_data="", post_data=f"username={EMAIL.lower()}", failures_since_start=1)
    if other is not None:
        ChatEvent.objects.create(chat=other.chat, kind=ChatEvent.Kind.CUSTOMER_LINKED,
                                 data={"customer": customer.pk, "via": "agent"})
    chats = [early, Chat.objects.get(pk=chat.pk), Chat.objects.get(pk=messenger_chat.pk), open_chat,
             Chat.objects.get(pk=offline.chat.pk)]
    assert Attachment.objects.filter(file__in=files).count() == 2
    return Person(customer=customer, chats=chats, open_chat=open_chat, files=files,
                  values={"e-mail": EMAIL, "name": NAME, "phone": PHONE, "Messenger id": MESSENGER_ID})
