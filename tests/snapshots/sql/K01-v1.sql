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
    LIST_CONTAINS(s.tables, 'capacity') AS has_capacity
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
), period_days(d, pidx) AS (
  SELECT
    CAST(UNNEST(GENERATE_SERIES(p_start, p_end, INTERVAL 1 DAY)) AS DATE),
    pidx
  FROM periods
)
SELECT
  'K01@1' AS ind,
  p.pidx,
  g.programme_id AS k0,
  NULL,
  NULL,
  SUM(r.participants)
FROM capacity AS r
JOIN progs AS g
  ON r.programme_id = g.programme_id AND r.submission_id = g.submission_id
JOIN periods AS p
  ON r.held_on BETWEEN p.p_start AND p.p_end
WHERE
  COALESCE(r.activity IN ('training', 'workshop'), FALSE)
  AND COALESCE(NOT r.audience IN ('general_public'), FALSE)
GROUP BY
  p.pidx,
  g.programme_id
