"""factory_boy factories for the tests. They build rows only; behaviour goes
through the services, as in production."""

from __future__ import annotations

import factory
from django.utils import timezone

from agents.models import Presence, User
from chat.models import Chat, Message, Queue, QueueMembership
from crm.models import Customer


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = factory.Sequence(lambda n: f"Agent{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@parley.test")
    password = factory.PostGenerationMethodCall("set_password", "parley-test")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class PresenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Presence
        django_get_or_create = ("agent",)

    agent = factory.SubFactory(UserFactory)
    logged_in = True
    pause_type = None
    on_phone_call = False


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Queue {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueueMembership

    queue = factory.SubFactory(QueueFactory)
    agent = factory.SubFactory(UserFactory)
    priority = 0


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")


class ChatFactory(factory.django.DjangoModelFactory):
    """A chat row as it would be stored; use the services to start real chats."""

    class Meta:
        model = Chat

    channel = Chat.Channel.WEBSITE
    status = Chat.Status.WAITING
    queue = factory.SubFactory(QueueFactory)
    visitor_name = factory.Sequence(lambda n: f"Visitor {n}")
    queued_at = factory.LazyFunction(timezone.now)
    last_heartbeat_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    chat = factory.SubFactory(ChatFactory)
    sender = Message.Sender.CLIENT
    body = factory.Sequence(lambda n: f"message {n}")
