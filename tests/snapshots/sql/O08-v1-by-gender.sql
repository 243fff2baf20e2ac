WITH periods(pidx, p_start, p_end) AS (
  VALUES
    (0, CAST('2025-01-01' AS DATE), CAST('2025-03-31' AS DATE)),
    (1, CAST('2025-01-01' AS DATE), CAST('2025-12-31' AS DATE))
), progs AS MATERIALIZED (
  SELECT
    p.programme_id,
    p.submission_id,
    s.data_as_of AS as_of,
    s.organisation,
    p.country,
    p.intervention_type,
    p.setting,
    LIST_CONTAINS(s.tables, 'custody_events') AS has_custody_events
  FROM current_programmes AS p
  JOIN submissions AS s
    USING (submission_id)
  WHERE
    TRUE
), cases AS MATERIALIZED (
  SELECT
    c.*,
    g.as_of,
    g.organisation,
    g.country,
    g.intervention_type,
    g.setting
  FROM current_cases AS c
  JOIN progs AS g
    ON c.programme_id = g.programme_id AND c.submission_id = g.submission_id
), period_days AS MATERIALIZED (
  SELECT
    d,
    pidx,
    p_start,
    p_end,
    ROW_NUMBER() OVER (PARTITION BY d ORDER BY pidx) = 1 AS once
  FROM (
    SELECT
      CAST(UNNEST(GENERATE_SERIES(p_start, p_end, INTERVAL 1 DAY)) AS DATE) AS d,
      pidx,
      p_start,
      p_end
    FROM periods
  )
), computed(ind, pidx, k0, k1, num, den, val) AS (
  SELECT
    'O08@1' AS ind,
    p.pidx,
    c.programme_id AS k0,
    CAST(c.gender AS TEXT) AS k1,
    COUNT(*) FILTER(WHERE
      NOT COALESCE(
        c.closure_reason IN ('client_withdrew', 'lost_contact', 're_engaged')
        AND c.closed_on <= (
          r.event_on + 365
        ),
        FALSE
      )),
    COUNT(*),
    NULL
  FROM custody_events AS r
  JOIN cases AS c
    ON r.submission_id = c.submission_id AND r.case_id = c.case_id
  JOIN period_days AS p
    ON r.event_on = p.d
  WHERE
    c.client_type = 'exit_participant'
    AND r.event = 'released'
    AND (
      c.opened_on <= r.event_on
      AND (
        c.closed_on IS NULL OR c.closed_on >= r.event_on
      )
    )
    AND (
      r.event_on + 365
    ) <= c.as_of
    AND NOT COALESCE(
      c.closure_reason IN ('died', 'moved_away')
      AND c.closed_on <= (
        r.event_on + 365
      ),
      FALSE
    )
  GROUP BY
    p.pidx,
    c.programme_id,
    CAST(c.gender AS TEXT)
), request_indicators(ind, ord, by_case) AS (
  VALUES
    ('O08@1', 0, TRUE)
), frame_keys AS (
  SELECT
    FALSE AS by_case,
    g.programme_id AS k0,
    '*' AS k1
  FROM progs AS g
  UNION
  SELECT
    TRUE AS by_case,
    g.programme_id AS k0,
    CAST(c.gender AS TEXT) AS k1
  FROM progs AS g
  JOIN cases AS c
    ON c.programme_id = g.programme_id AND c.submission_id = g.submission_id
), frame_groups AS (
  SELECT
    g.programme_id AS k0,
    MIN(g.as_of) AS as_of,
    BOOL_AND(g.has_custody_events) AS has_custody_events
  FROM progs AS g
  GROUP BY
    ALL
)
SELECT
  i.ord,
  p.pidx,
  f.k0,
  f.k1,
  r.num,
  r.den,
  r.val,
  o.as_of,
  o.has_custody_events
FROM request_indicators AS i
JOIN frame_keys AS f
  ON f.by_case = i.by_case
CROSS JOIN periods AS p
LEFT JOIN computed AS r
  ON r.ind = i.ind
  AND r.pidx = p.pidx
  AND r.k0 IS NOT DISTINCT FROM f.k0
  AND r.k1 IS NOT DISTINCT FROM f.k1
LEFT JOIN frame_groups AS o
  ON o.k0 IS NOT DISTINCT FROM f.k0
ORDER BY
  i.ord,
  f.k0,
  p.p_start,
  f.k1,
  p.pidx
