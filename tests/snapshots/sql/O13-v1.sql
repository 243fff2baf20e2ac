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
    LIST_CONTAINS(s.tables, 'outcomes') AS has_outcomes
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
), scan_cases_outcomes AS MATERIALIZED (
  SELECT
    c.submission_id,
    c.case_id,
    COUNT(*) FILTER(WHERE
      x.recorded_on <= (
        c.closed_on + 30
      )
      AND COALESCE(x.outcome IN ('situation_improved'), FALSE)) AS w0_n,
    MIN(x.recorded_on) FILTER(WHERE
      x.recorded_on <= (
        c.closed_on + 30
      )
      AND COALESCE(x.outcome IN ('situation_improved'), FALSE)) AS w0_first,
    NULL AS w0_total
  FROM cases AS c
  JOIN outcomes AS x
    ON x.submission_id = c.submission_id AND x.case_id = c.case_id
  WHERE
    (
      x.recorded_on <= (
        c.closed_on + 30
      )
      AND COALESCE(x.outcome IN ('situation_improved'), FALSE)
    )
  GROUP BY
    ALL
)
SELECT
  'O13@1' AS ind,
  p.pidx,
  c.programme_id AS k0,
  COUNT(*) FILTER(WHERE
    COALESCE(scan_cases_outcomes.w0_n, 0) >= 1),
  COUNT(*),
  NULL
FROM cases AS c
JOIN periods AS p
  ON c.closed_on BETWEEN p.p_start AND p.p_end
LEFT JOIN scan_cases_outcomes
  ON scan_cases_outcomes.submission_id = c.submission_id
  AND scan_cases_outcomes.case_id = c.case_id
WHERE
  c.client_type IN ('relative', 'friend', 'professional')
  AND COALESCE(NOT c.closure_reason IN ('died', 'moved_away'), FALSE)
GROUP BY
  p.pidx,
  c.programme_id
