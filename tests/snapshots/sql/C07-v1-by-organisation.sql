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
), scan_cases_contacts AS MATERIALIZED (
  SELECT
    c.submission_id,
    c.case_id,
    COUNT(*) FILTER(WHERE
      x.contact_on >= c.first_request_on) AS w0_n,
    MIN(x.contact_on) FILTER(WHERE
      x.contact_on >= c.first_request_on) AS w0_first,
    NULL AS w0_total
  FROM cases AS c
  JOIN contacts AS x
    ON x.submission_id = c.submission_id AND x.case_id = c.case_id
  WHERE
    (
      x.contact_on >= c.first_request_on
    )
  GROUP BY
    ALL
)
SELECT
  ind,
  pidx,
  k0,
  k1,
  NULL,
  COUNT(d),
  MEDIAN(d)
FROM (
  SELECT
    'C07@1' AS ind,
    p.pidx,
    '*' AS k0,
    CAST(c.organisation AS TEXT) AS k1,
    DATE_DIFF('day', c.first_request_on, scan_cases_contacts.w0_first) AS d
  FROM cases AS c
  JOIN periods AS p
    ON c.first_request_on BETWEEN p.p_start AND p.p_end
  LEFT JOIN scan_cases_contacts
    ON scan_cases_contacts.submission_id = c.submission_id
    AND scan_cases_contacts.case_id = c.case_id
)
GROUP BY
  ALL
