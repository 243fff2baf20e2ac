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
    'F02@1',
    o.pidx,
    o.k0,
    o.k1,
    COALESCE(f.amount, 0),
    o.n,
    NULL
  FROM (
    SELECT
      p.pidx,
      '*' AS k0,
      CAST(c.organisation AS TEXT) AS k1,
      COUNT(*) AS n
    FROM cases AS c
    JOIN periods AS p
      ON c.opened_on <= p.p_end AND (
        c.closed_on IS NULL OR c.closed_on >= p.p_start
      )
    GROUP BY
      ALL
  ) AS o
  LEFT JOIN (
    SELECT
      p.pidx,
      '*' AS k0,
      CAST(g.organisation AS TEXT) AS k1,
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
      p.pidx,
      '*',
      CAST(g.organisation AS TEXT)
  ) AS f
    ON f.pidx = o.pidx AND f.k0 = o.k0 AND f.k1 = o.k1
), request_indicators(ind, ord, by_case) AS (
  VALUES
    ('F02@1', 0, FALSE)
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
    BOOL_AND(g.has_funding) AS has_funding
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
  o.has_funding
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
