"""A separate OS process for the concurrency tests: ``python -m tests.chat.services.routing_worker MODE SEED N``.

It connects to the database named by DATABASE_URL (the test database) with the
test settings and calls the real services:

* ``churn``: N random steps of dispatch, presence changes (log in/out, pause,
  resume, phone call), closing an assigned chat and pressing "Assign" on a waiting
  chat, as web and worker processes would at once;
* ``dispatch``: one dispatch run.

It prints one JSON line with what it did. An ApplicationError (ChatError, or the
agents' refusal) is an expected answer (a refused request); any other exception
fails the process.
"""

from __future__ import annotations

import json
import os
import random
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()

    from agents.models import PauseType, Presence
    from agents.services import (
        presence_login,
        presence_logout,
        presence_pause,
        presence_resume,
        presence_set_phone_call,
    )
    from chat.models import Chat
    from chat.services.chats import chat_assign, chat_close
    from chat.services.dispatch import dispatch
    from core.errors import ApplicationError

    mode, seed, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    done = {"assigned": 0, "refused": 0, "steps": 0, "closed": 0, "manual": 0}
    if mode == "dispatch":
        done["assigned"] = dispatch()
        print(json.dumps(done))
        return 0

    agent_ids = list(Presence.objects.order_by("agent_id").values_list("agent_id", flat=True))
    pause_ids = list(PauseType.objects.values_list("id", flat=True))
    for _ in range(steps):
        done["steps"] += 1
        roll = rng.random()
        agent_id = rng.choice(agent_ids)
        try:
            if roll < 0.40:
                done["assigned"] += dispatch(limit=rng.choice([None, 5, 20]))
            elif roll < 0.50:
                presence_logout(agent_id=agent_id)
            elif roll < 0.62:
                presence_login(agent_id=agent_id)
            elif roll < 0.68:
                presence_pause(agent_id=agent_id, pause_type_id=rng.choice(pause_ids))
            elif roll < 0.76:
                presence_resume(agent_id=agent_id)
            elif roll < 0.80:
                presence_set_phone_call(agent_id=agent_id, on_call=rng.random() < 0.5)
            elif roll < 0.90:
                chat_id = (
                    Chat.objects.filter(status="assigned").order_by("?").values_list("id", flat=True).first()
                )
                if chat_id:
                    chat_close(chat_id=chat_id, reason="agent")
                    done["closed"] += 1
            else:
                chat_id = Chat.objects.filter(status="waiting").order_by("?").values_list("id", flat=True).first()
                if chat_id:
                    chat_assign(chat_id=chat_id, agent_id=agent_id)
                    done["manual"] += 1
        except ApplicationError:
            done["refused"] += 1
    print(json.dumps(done))
    return 0


if __name__ == "__main__":
    sys.exit(main())
