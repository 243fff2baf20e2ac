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
), scan_cases_outcomes AS MATERIALIZED (
  SELECT
    c.submission_id,
    c.case_id,
    COUNT(*) FILTER(WHERE
      x.recorded_on > c.closed_on
      AND x.recorded_on <= (
        c.closed_on + 365
      )
      AND COALESCE(x.outcome IN ('reoffended'), FALSE)) AS w0_n,
    MIN(x.recorded_on) FILTER(WHERE
      x.recorded_on > c.closed_on
      AND x.recorded_on <= (
        c.closed_on + 365
      )
      AND COALESCE(x.outcome IN ('reoffended'), FALSE)) AS w0_first,
    NULL AS w0_total
  FROM cases AS c
  JOIN outcomes AS x
    ON x.submission_id = c.submission_id AND x.case_id = c.case_id
  WHERE
    (
      x.recorded_on > c.closed_on
      AND x.recorded_on <= (
        c.closed_on + 365
      )
      AND COALESCE(x.outcome IN ('reoffended'), FALSE)
    )
  GROUP BY
    ALL
), computed(ind, pidx, k0, k1, num, den, val) AS (
  SELECT
    'O12@1' AS ind,
    p.pidx,
    '*' AS k0,
    CAST(c.organisation AS TEXT) AS k1,
    COUNT(*) FILTER(WHERE
      COALESCE(scan_cases_outcomes.w0_n, 0) >= 1),
    COUNT(*),
    NULL
  FROM cases AS c
  JOIN period_days AS p
    ON c.closed_on = p.d
  LEFT JOIN scan_cases_outcomes
    ON scan_cases_outcomes.submission_id = c.submission_id
    AND scan_cases_outcomes.case_id = c.case_id
  WHERE
    c.client_type = 'exit_participant'
    AND COALESCE(NOT c.closure_reason IN ('died', 'moved_away'), FALSE)
    AND (
      c.closed_on + 365
    ) <= c.as_of
  GROUP BY
    p.pidx,
    '*',
    CAST(c.organisation AS TEXT)
), request_indicators(ind, ord, by_case) AS (
  VALUES
    ('O12@1', 0, FALSE)
), frame_keys AS (
  SELECT DISTINCT
    FALSE AS by_case,
    '*' AS k0,
    CAST(g.organisation AS TEXT) AS k1
  FROM progs AS g
), frame_groups AS (
  SELECT
    '*' AS k0,
    CAST(g.organisation AS TEXT) AS k1,
    MIN(g.as_of) AS as_of,
    BOOL_AND(g.has_outcomes) AS has_outcomes
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
  o.has_outcomes
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
  ON o.k0 IS NOT DISTINCT FROM f.k0 AND o.k1 IS NOT DISTINCT FROM f.k1
ORDER BY
  i.ord,
  f.k0,
  p.p_start,
  f.k1,
  p.pidx
