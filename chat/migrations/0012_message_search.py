"""Full-text search of message bodies on PostgreSQL (issue 14, point 5; docs/inbox.md "Search").

PostgreSQL ships no Polish dictionary (it needs ispell files from elsewhere), and the English stemmer mangles Polish
words. The configuration ``parley_search`` is therefore ``simple`` (every word as written, lower-cased) after
``unaccent`` (so "zamowienie" finds "zamówienie" and "cafe" finds "café"); the search adds prefix matching, so
"zamówieni" finds "zamówienie" and "zamówienia", and "deliver" finds "delivery" and "delivered". A GIN index on
the expression serves it. Nothing here runs on SQLite, where the search falls back to a plain substring match.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION parley_search (COPY = simple)",
    "ALTER TEXT SEARCH CONFIGURATION parley_search ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple",
    "CREATE INDEX chat_message_search_idx ON chat_message USING gin (to_tsvector('parley_search'::regconfig, body))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS chat_message_search_idx",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS parley_search",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("chat", "0011_presence_rule_task")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
