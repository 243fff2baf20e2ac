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
    p.setting
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
), computed(ind, pidx, k0, num, den, val) AS (
  SELECT
    'C05@1' AS ind,
    p.pidx,
    c.programme_id AS k0,
    COUNT(*) FILTER(WHERE
      COALESCE(c.participation IN ('mandated'), FALSE)),
    COUNT(*),
    NULL
  FROM cases AS c
  JOIN period_days AS p
    ON c.opened_on = p.d
  WHERE
    c.client_type = 'exit_participant'
    AND COALESCE(NOT c.participation IN ('unknown'), FALSE)
  GROUP BY
    p.pidx,
    c.programme_id
), request_indicators(ind, ord, by_case) AS (
  VALUES
    ('C05@1', 0, FALSE)
), frame_keys AS (
  SELECT DISTINCT
    FALSE AS by_case,
    g.programme_id AS k0
  FROM progs AS g
), frame_groups AS (
  SELECT
    g.programme_id AS k0,
    MIN(g.as_of) AS as_of
  FROM progs AS g
  GROUP BY
    ALL
)
SELECT
  i.ord,
  p.pidx,
  f.k0,
  r.num,
  r.den,
  r.val,
  o.as_of
FROM request_indicators AS i
JOIN frame_keys AS f
  ON f.by_case = i.by_case
CROSS JOIN periods AS p
LEFT JOIN computed AS r
  ON r.ind = i.ind AND r.pidx = p.pidx AND r.k0 IS NOT DISTINCT FROM f.k0
LEFT JOIN frame_groups AS o
  ON o.k0 IS NOT DISTINCT FROM f.k0
ORDER BY
  i.ord,
  f.k0,
  p.p_start,
  p.pidx
