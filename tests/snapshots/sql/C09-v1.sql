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
), period_days(d, pidx) AS (
  SELECT
    CAST(UNNEST(GENERATE_SERIES(p_start, p_end, INTERVAL 1 DAY)) AS DATE),
    pidx
  FROM periods
)
SELECT
  'C09@1' AS ind,
  p.pidx,
  c.programme_id AS k0,
  COUNT(*) FILTER(WHERE
    COALESCE(c.plan_agreed_on <= (
      c.opened_on + 60
    ), FALSE)),
  COUNT(*),
  NULL
FROM cases AS c
JOIN periods AS p
  ON c.opened_on BETWEEN p.p_start AND p.p_end
WHERE
  c.client_type = 'exit_participant' AND (
    c.opened_on + 60
  ) <= c.as_of
GROUP BY
  p.pidx,
  c.programme_id
