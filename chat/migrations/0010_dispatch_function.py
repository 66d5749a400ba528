"""PROTOTYPE (issue 12, point 3): dispatch's one-statement assignment as a PL/pgSQL function, to measure it
against the statement composed in Python (chat/services/dispatch/statements.py). Used only when
PARLEY_DISPATCH_PLPGSQL is set. A migration freezes the function, so it cannot follow the settings by
rewriting its text: the chain's keys are computed for every strategy and ordered by the configured codes
(``p_codes``), each key turned into "lower is better".
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION parley_assign_one(
    p_ids bigint[], p_max integer, p_now timestamptz, p_data jsonb,
    p_codes text[], p_allow_phone boolean, p_needs_last boolean, p_async boolean
) RETURNS TABLE (chat_id bigint, agent_id bigint, ranked bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    IF p_async THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    RETURN QUERY
    WITH target AS MATERIALIZED (
        SELECT c.id, c.queue_id, c.customer_id, c.visitor_email, c.visitor_messenger_id, c.visitor_key, c.created_at
        FROM chat_chat c
        WHERE c.id = ANY(p_ids) AND c.status = 'waiting' AND c.auto_assign_stopped_at IS NULL
            AND c.channel <> 'internal'
        ORDER BY array_position(p_ids, c.id) LIMIT 1
        FOR UPDATE OF c SKIP LOCKED
    ), t AS MATERIALIZED (
        SELECT target.id, target.queue_id,
            (SELECT cu.owner_id FROM crm_customer cu WHERE cu.id = target.customer_id) AS owner_id,
            CASE WHEN p_needs_last THEN (SELECT x.agent_id FROM (
                SELECT * FROM (SELECT e.agent_id, e.created_at, e.id FROM chat_chat e
                    WHERE e.customer_id = target.customer_id AND COALESCE(e.agent_id, 0) <> 0
                        AND e.created_at <= target.created_at AND e.id <> target.id AND e.channel <> 'internal'
                    ORDER BY 2 DESC, 3 DESC LIMIT 1) AS b0
                UNION ALL SELECT * FROM (SELECT e.agent_id, e.created_at, e.id FROM chat_chat e
                    WHERE e.visitor_email = target.visitor_email AND COALESCE(e.agent_id, 0) <> 0
                        AND e.created_at <= target.created_at AND e.id <> target.id AND e.channel <> 'internal'
                        AND target.visitor_email <> ''
                    ORDER BY 2 DESC, 3 DESC LIMIT 1) AS b1
                UNION ALL SELECT * FROM (SELECT e.agent_id, e.created_at, e.id FROM chat_chat e
                    WHERE e.visitor_messenger_id = target.visitor_messenger_id AND COALESCE(e.agent_id, 0) <> 0
                        AND e.created_at <= target.created_at AND e.id <> target.id AND e.channel <> 'internal'
                        AND target.visitor_messenger_id <> ''
                    ORDER BY 2 DESC, 3 DESC LIMIT 1) AS b2
                UNION ALL SELECT * FROM (SELECT e.agent_id, e.created_at, e.id FROM chat_chat e
                    WHERE e.visitor_key = target.visitor_key AND COALESCE(e.agent_id, 0) <> 0
                        AND e.created_at <= target.created_at AND e.id <> target.id AND e.channel <> 'internal'
                        AND target.visitor_key <> ''
                    ORDER BY 2 DESC, 3 DESC LIMIT 1) AS b3
            ) x ORDER BY x.created_at DESC, x.id DESC LIMIT 1) END AS last_agent_id
        FROM target
    ), scored AS (
        SELECT p.agent_id,
            -(CASE WHEN p.agent_id = t.owner_id THEN 1 ELSE 0 END)::float8 AS owner,
            -(COALESCE(m.priority, -2147483648))::float8 AS queue_priority,
            -(CASE WHEN p.agent_id = t.last_agent_id THEN 1 ELSE 0 END)::float8 AS last_agent,
            p.open_chats::float8 AS fewest_open_chats,
            COALESCE(extract(epoch FROM p.last_assigned_at)::float8, '-Infinity'::float8) AS longest_unassigned
        FROM t CROSS JOIN (
            SELECT mm.agent_id, mm.priority FROM chat_queuemembership mm JOIN t ON mm.queue_id = t.queue_id
            UNION ALL SELECT t.owner_id, NULL FROM t WHERE t.owner_id IS NOT NULL AND NOT EXISTS
                (SELECT 1 FROM chat_queuemembership mo WHERE mo.queue_id = t.queue_id AND mo.agent_id = t.owner_id)
        ) m JOIN agents_presence p ON p.agent_id = m.agent_id
        WHERE p.logged_in AND p.pause_type_id IS NULL AND p.open_chats < p_max
            AND (p_allow_phone OR NOT p.on_phone_call)
            AND (SELECT u.is_active FROM agents_user u WHERE u.id = p.agent_id)
            AND NOT EXISTS (SELECT 1 FROM chat_noreplyexclusion x WHERE x.chat_id = t.id AND x.agent_id = p.agent_id)
    ), keyed AS (
        SELECT s.agent_id,
            CASE p_codes[1] WHEN 'owner' THEN s.owner WHEN 'queue_priority' THEN s.queue_priority
                WHEN 'last_agent' THEN s.last_agent WHEN 'fewest_open_chats' THEN s.fewest_open_chats
                WHEN 'longest_unassigned' THEN s.longest_unassigned END AS k1,
            CASE p_codes[2] WHEN 'owner' THEN s.owner WHEN 'queue_priority' THEN s.queue_priority
                WHEN 'last_agent' THEN s.last_agent WHEN 'fewest_open_chats' THEN s.fewest_open_chats
                WHEN 'longest_unassigned' THEN s.longest_unassigned END AS k2,
            CASE p_codes[3] WHEN 'owner' THEN s.owner WHEN 'queue_priority' THEN s.queue_priority
                WHEN 'last_agent' THEN s.last_agent WHEN 'fewest_open_chats' THEN s.fewest_open_chats
                WHEN 'longest_unassigned' THEN s.longest_unassigned END AS k3,
            CASE p_codes[4] WHEN 'owner' THEN s.owner WHEN 'queue_priority' THEN s.queue_priority
                WHEN 'last_agent' THEN s.last_agent WHEN 'fewest_open_chats' THEN s.fewest_open_chats
                WHEN 'longest_unassigned' THEN s.longest_unassigned END AS k4,
            CASE p_codes[5] WHEN 'owner' THEN s.owner WHEN 'queue_priority' THEN s.queue_priority
                WHEN 'last_agent' THEN s.last_agent WHEN 'fewest_open_chats' THEN s.fewest_open_chats
                WHEN 'longest_unassigned' THEN s.longest_unassigned END AS k5
        FROM scored s
    ), ranked AS MATERIALIZED (
        SELECT keyed.*, row_number() OVER (ORDER BY k1, k2, k3, k4, k5, keyed.agent_id) AS pos
        FROM keyed ORDER BY k1, k2, k3, k4, k5, keyed.agent_id LIMIT 4
    ), pick AS MATERIALIZED (
        SELECT p.agent_id FROM agents_presence p JOIN ranked r ON r.agent_id = p.agent_id WHERE r.pos <= 3
        ORDER BY r.pos LIMIT 1 FOR UPDATE OF p SKIP LOCKED
    ), why AS (
        SELECT CASE WHEN r2.agent_id IS NULL THEN 'only_eligible'
            WHEN r1.k1 IS DISTINCT FROM r2.k1 THEN p_codes[1]
            WHEN r1.k2 IS DISTINCT FROM r2.k2 THEN p_codes[2]
            WHEN r1.k3 IS DISTINCT FROM r2.k3 THEN p_codes[3]
            WHEN r1.k4 IS DISTINCT FROM r2.k4 THEN p_codes[4]
            WHEN r1.k5 IS DISTINCT FROM r2.k5 THEN p_codes[5]
            ELSE 'lowest_id' END AS strategy
        FROM pick JOIN ranked r1 ON r1.agent_id = pick.agent_id LEFT JOIN ranked r2 ON r2.pos = r1.pos + 1
    ), slot AS (
        UPDATE agents_presence p SET open_chats = p.open_chats + 1, last_assigned_at = p_now
        WHERE p.agent_id = (SELECT pick.agent_id FROM pick) AND p.logged_in AND p.pause_type_id IS NULL
            AND p.open_chats < p_max AND (p_allow_phone OR NOT p.on_phone_call)
        RETURNING p.agent_id
    ), claim AS (
        UPDATE chat_chat c SET status = 'assigned', agent_id = slot.agent_id, assigned_at = p_now,
            agent_replied_at = NULL, agent_read_at = NULL
        FROM slot, t WHERE c.id = t.id AND c.status = 'waiting'
        RETURNING c.id, c.agent_id
    ), event AS (
        INSERT INTO chat_chatevent (chat_id, kind, created_at, agent_id, queue_id, strategy, reason, data)
        SELECT claim.id, 'assigned', p_now, claim.agent_id, t.queue_id, why.strategy, '', p_data
        FROM claim, t, why
        RETURNING chat_chatevent.id
    )
    SELECT t.id, (SELECT claim.agent_id FROM claim), (SELECT count(*) FROM ranked) FROM t;
END
$$;
"""


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS parley_assign_one(bigint[], integer, timestamptz, jsonb, text[], boolean, "
            "boolean, boolean)"
        )


class Migration(migrations.Migration):
    dependencies = [("chat", "0009_orphan_files_task")]

    operations = [migrations.RunPython(create_function, drop_function)]
