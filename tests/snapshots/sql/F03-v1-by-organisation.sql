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
    LIST_CONTAINS(s.tables, 'funding') AS has_funding
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
  'F03@1',
  pidx,
  k0,
  k1,
  MAX(amount),
  SUM(amount),
  NULL
FROM (
  SELECT
    p.pidx,
    '*' AS k0,
    CAST(g.organisation AS TEXT) AS k1,
    LOWER(TRIM(r.funder)) AS funder,
    SUM(
      r.amount_eur * GREATEST(
        0,
        DATE_DIFF('day', GREATEST(r.period_start, p.p_start), LEAST(r.period_end, p.p_end)) + 1
      ) / (
        DATE_DIFF('day', r.period_start, r.period_end) + 1
      )
    ) AS amount
  FROM funding AS r
  JOIN progs AS g
    ON r.programme_id = g.programme_id AND r.submission_id = g.submission_id
  CROSS JOIN periods AS p
  GROUP BY
    ALL
)
GROUP BY
  pidx,
  k0,
  k1
