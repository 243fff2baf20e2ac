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
    LIST_CONTAINS(s.tables, 'contacts') AS has_contacts
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
), scan_period_contacts AS MATERIALIZED (
  SELECT
    x.submission_id,
    x.case_id,
    pd.pidx,
    COUNT(*) FILTER(WHERE
      COALESCE(x.activity IN ('case_conference'), FALSE)) AS w0_n,
    MIN(x.contact_on) FILTER(WHERE
      COALESCE(x.activity IN ('case_conference'), FALSE)) AS w0_first,
    NULL AS w0_total
  FROM contacts AS x
  SEMI JOIN progs AS g
    ON x.submission_id = g.submission_id AND x.programme_id = g.programme_id
  JOIN period_days AS pd
    ON x.contact_on = pd.d
  WHERE
    (
      COALESCE(x.activity IN ('case_conference'), FALSE)
    )
  GROUP BY
    ALL
)
SELECT
  'C11@1' AS ind,
  p.pidx,
  '*' AS k0,
  CAST(c.organisation AS TEXT) AS k1,
  COUNT(*) FILTER(WHERE
    COALESCE(scan_period_contacts.w0_n, 0) >= 1),
  COUNT(*),
  NULL
FROM cases AS c
JOIN periods AS p
  ON c.opened_on <= p.p_end AND (
    c.closed_on IS NULL OR c.closed_on >= p.p_start
  )
LEFT JOIN scan_period_contacts
  ON scan_period_contacts.submission_id = c.submission_id
  AND scan_period_contacts.case_id = c.case_id
  AND scan_period_contacts.pidx = p.pidx
WHERE
  c.client_type = 'exit_participant'
  AND COALESCE(c.setting_at_intake IN ('pre_trial_detention', 'prison', 'probation'), FALSE)
GROUP BY
  p.pidx,
  '*',
  CAST(c.organisation AS TEXT)
