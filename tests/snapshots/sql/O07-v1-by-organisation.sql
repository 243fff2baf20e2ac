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
    LIST_CONTAINS(s.tables, 'contacts') AS has_contacts,
    LIST_CONTAINS(s.tables, 'custody_events') AS has_custody_events
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
), scan_releases_event_on_contacts AS MATERIALIZED (
  SELECT
    c.submission_id,
    c.case_id,
    r.event_on,
    COUNT(*) FILTER(WHERE
      x.contact_on >= r.event_on AND x.contact_on <= (
        r.event_on + 90
      )) AS w0_n,
    MIN(x.contact_on) FILTER(WHERE
      x.contact_on >= r.event_on AND x.contact_on <= (
        r.event_on + 90
      )) AS w0_first,
    NULL AS w0_total
  FROM custody_events AS r
  JOIN cases AS c
    ON r.submission_id = c.submission_id
    AND r.case_id = c.case_id
    AND r.event = 'released'
  JOIN contacts AS x
    ON x.submission_id = c.submission_id AND x.case_id = c.case_id
  WHERE
    (
      x.contact_on >= r.event_on AND x.contact_on <= (
        r.event_on + 90
      )
    )
  GROUP BY
    ALL
)
SELECT
  'O07@1' AS ind,
  p.pidx,
  '*' AS k0,
  CAST(c.organisation AS TEXT) AS k1,
  COUNT(*) FILTER(WHERE
    COALESCE(scan_releases_event_on_contacts.w0_n, 0) >= 6),
  COUNT(*),
  NULL
FROM custody_events AS r
JOIN cases AS c
  ON r.submission_id = c.submission_id AND r.case_id = c.case_id
JOIN periods AS p
  ON r.event_on BETWEEN p.p_start AND p.p_end
LEFT JOIN scan_releases_event_on_contacts
  ON scan_releases_event_on_contacts.submission_id = c.submission_id
  AND scan_releases_event_on_contacts.case_id = c.case_id
  AND scan_releases_event_on_contacts.event_on = r.event_on
WHERE
  c.client_type = 'exit_participant'
  AND r.event = 'released'
  AND (
    c.opened_on <= r.event_on
    AND (
      c.closed_on IS NULL OR c.closed_on >= r.event_on
    )
  )
  AND (
    r.event_on + 90
  ) <= c.as_of
GROUP BY
  p.pidx,
  '*',
  CAST(c.organisation AS TEXT)
