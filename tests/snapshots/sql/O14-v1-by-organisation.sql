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
    LIST_CONTAINS(s.tables, 'referrals') AS has_referrals
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
  'O14@1' AS ind,
  p.pidx,
  '*' AS k0,
  CAST(c.organisation AS TEXT) AS k1,
  COUNT(*) FILTER(WHERE
    COALESCE(r.outcome IN ('taken_up'), FALSE)),
  COUNT(*),
  NULL
FROM referrals AS r
JOIN cases AS c
  ON r.submission_id = c.submission_id AND r.case_id = c.case_id
JOIN periods AS p
  ON r.referred_on BETWEEN p.p_start AND p.p_end
WHERE
  COALESCE(NOT r.outcome IN ('pending'), FALSE)
GROUP BY
  p.pidx,
  '*',
  CAST(c.organisation AS TEXT)
