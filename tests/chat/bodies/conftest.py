from tests.chat.api.fixtures import *  # noqa: F401,F403
