WITH target AS MATERIALIZED (
    SELECT c.id, c.queue_id, c.customer_id, c.visitor_email, c.visitor_messenger_id, c.visitor_key, c.created_at
    FROM "chat_chat" c
    WHERE c.id = ANY(CAST(%(ids)s AS bigint[])) AND c.status = 'waiting' AND c.auto_assign_stopped_at IS NULL AND c.hours_held_at IS NULL AND c.channel <> 'internal'
    ORDER BY array_position(CAST(%(ids)s AS bigint[]), CAST(c.id AS bigint)) LIMIT 1
    FOR UPDATE OF c SKIP LOCKED
), t AS MATERIALIZED (
    SELECT target.id, target.queue_id,
        (SELECT cu.owner_id FROM "crm_customer" cu WHERE cu.id = target.customer_id) AS owner_id,
        (SELECT x.agent_id FROM (
            SELECT * FROM (SELECT e.agent_id, e.created_at, e.id FROM "chat_chat" e
                WHERE e.customer_id = target.customer_id AND COALESCE(e.agent_id, 0) <> 0 AND e.created_at <= target.created_at AND e.id <> target.id AND e.channel <> 'internal'
                ORDER BY 2 DESC, 3 DESC LIMIT 1) AS b0
            UNION ALL SELECT * FROM (SELECT e.agent_id, e.created_at, e.id FROM "chat_chat" e
                WHERE e.visitor_email = target.visitor_email AND COALESCE(e.agent_id, 0) <> 0 AND e.created_at <= target.created_at AND e.id <> target.id AND e.channel <> 'internal' AND target.visitor_email <> ''
                ORDER BY 2 DESC, 3 DESC LIMIT 1) AS b1
            UNION ALL SELECT * FROM (SELECT e.agent_id, e.created_at, e.id FROM "chat_chat" e
                WHERE e.visitor_messenger_id = target.visitor_messenger_id AND COALESCE(e.agent_id, 0) <> 0 AND e.created_at <= target.created_at AND e.id <> target.id AND e.channel <> 'internal' AND target.visitor_messenger_id <> ''
                ORDER BY 2 DESC, 3 DESC LIMIT 1) AS b2
            UNION ALL SELECT * FROM (SELECT e.agent_id, e.created_at, e.id FROM "chat_chat" e
                WHERE e.visitor_key = target.visitor_key AND COALESCE(e.agent_id, 0) <> 0 AND e.created_at <= target.created_at AND e.id <> target.id AND e.channel <> 'internal' AND target.visitor_key <> ''
                ORDER BY 2 DESC, 3 DESC LIMIT 1) AS b3
        ) x ORDER BY x.created_at DESC, x.id DESC LIMIT 1) AS last_agent_id
    FROM target
), ranked AS MATERIALIZED (
    SELECT s.*, row_number() OVER (ORDER BY no_reply_excluded, k0 DESC, k1 DESC, k2 DESC, k3 ASC NULLS FIRST, k4 ASC NULLS FIRST, agent_id) AS pos
    FROM (
        SELECT p.agent_id AS agent_id,
            CASE WHEN p.agent_id = t.owner_id THEN 1 ELSE 0 END AS k0,
            COALESCE(m.priority, -2147483648) AS k1,
            CASE WHEN p.agent_id = t.last_agent_id THEN 1 ELSE 0 END AS k2,
            p.open_chats AS k3,
            p.last_assigned_at AS k4,
            CASE WHEN EXISTS (SELECT 1 FROM "chat_noreplyexclusion" x WHERE x.chat_id = t.id AND x.agent_id = p.agent_id) THEN 1 ELSE 0 END AS no_reply_excluded
        FROM t CROSS JOIN (
            SELECT mm.agent_id, mm.priority FROM "chat_queuemembership" mm JOIN t ON mm.queue_id = t.queue_id
            UNION ALL SELECT t.owner_id, NULL FROM t WHERE t.owner_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "chat_queuemembership" mo WHERE mo.queue_id = t.queue_id AND mo.agent_id = t.owner_id)
        ) m JOIN "agents_presence" p ON p.agent_id = m.agent_id
        WHERE p.logged_in AND p.pause_type_id IS NULL AND p.open_chats < %(max)s
            AND (SELECT u.is_active FROM "agents_user" u WHERE u.id = p.agent_id)
    ) s
    ORDER BY no_reply_excluded, k0 DESC, k1 DESC, k2 DESC, k3 ASC NULLS FIRST, k4 ASC NULLS FIRST, agent_id LIMIT 4
), pick AS MATERIALIZED (
    SELECT p.agent_id FROM "agents_presence" p JOIN ranked r ON r.agent_id = p.agent_id
    WHERE r.pos <= 3 AND r.no_reply_excluded = (SELECT r0.no_reply_excluded FROM ranked r0 WHERE r0.pos = 1)
    ORDER BY r.pos LIMIT 1 FOR UPDATE OF p SKIP LOCKED
), why AS (
    SELECT CASE WHEN r2.agent_id IS NULL OR r2.no_reply_excluded <> r1.no_reply_excluded THEN 'only_eligible'
        WHEN r1.k0 IS DISTINCT FROM r2.k0 THEN 'owner'
        WHEN r1.k1 IS DISTINCT FROM r2.k1 THEN 'queue_priority'
        WHEN r1.k2 IS DISTINCT FROM r2.k2 THEN 'last_agent'
        WHEN r1.k3 IS DISTINCT FROM r2.k3 THEN 'fewest_open_chats'
        WHEN r1.k4 IS DISTINCT FROM r2.k4 THEN 'longest_unassigned'
        ELSE 'lowest_id' END AS strategy,
        r2.agent_id AS runner_up
    FROM pick JOIN ranked r1 ON r1.agent_id = pick.agent_id LEFT JOIN ranked r2 ON r2.pos = r1.pos + 1
), slot AS (
    UPDATE "agents_presence" p SET open_chats = p.open_chats + 1, last_assigned_at = %(now)s
    WHERE p.agent_id = (SELECT agent_id FROM pick) AND p.logged_in AND p.pause_type_id IS NULL AND p.open_chats < %(max)s
    RETURNING p.agent_id
), claim AS (
    UPDATE "chat_chat" c SET status = 'assigned', agent_id = slot.agent_id, assigned_at = %(now)s, first_assigned_at = COALESCE(c.first_assigned_at, %(now)s), agent_replied_at = NULL, agent_read_at = NULL, hours_held_at = NULL
    FROM slot, t WHERE c.id = t.id AND c.status = 'waiting'
    RETURNING c.id, c.agent_id
), event AS (
    INSERT INTO "chat_chatevent" (chat_id, kind, created_at, agent_id, queue_id, strategy, reason, data)
    SELECT claim.id, 'assigned', %(now)s, claim.agent_id, t.queue_id, why.strategy, '',
        %(data)s || jsonb_strip_nulls(jsonb_build_object('runner_up', why.runner_up))
    FROM claim, t, why
    RETURNING id
)
SELECT t.id, (SELECT agent_id FROM claim), (SELECT count(*) FROM ranked), t.queue_id, t.owner_id,
    (SELECT strategy FROM why),
    (SELECT set_config('synchronous_commit', 'off', true))
FROM t
