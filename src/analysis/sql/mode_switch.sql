-- @module mode_switch
-- @requires packet_path
-- Data path mode switches (passthrough <-> emulated, RFC "mode switching"): when each started and
-- ended, and which frames of the VM were lost while it ran.

-- Internal: every mode_switch_begin paired with the VM's next mode_switch_end.
CREATE OR REPLACE VIEW _mode_switch_span AS
SELECT b.run_id, b.vm, b.host, b.t_ns AS t_begin, b.seq AS seq_begin, b.mode AS to_mode,
  e.t_ns AS t_end, e.mode AS end_mode, e.plugin AS end_plugin, e.reason AS end_reason
FROM (SELECT * FROM _events_ctl WHERE event = 'mode_switch_begin'::npa_event) b
ASOF LEFT JOIN (SELECT run_id, vm, seq, t_ns, mode, plugin, reason FROM _events_ctl WHERE event = 'mode_switch_end'::npa_event) e
  ON e.run_id = b.run_id AND e.vm = b.vm AND e.seq >= b.seq;

-- Internal: windows during which a VM's port configuration is changing (a mode switch in progress),
-- or the instant it changed (a config row boundary); switching_check excuses frames that overlap one.
CREATE OR REPLACE VIEW _vm_transition AS
SELECT run_id, vm, t_begin AS t_from, coalesce(t_end, 9223372036854775807) AS t_to
FROM _mode_switch_span
WHERE NOT (t_begin = 0 AND t_end = 0)
UNION ALL
SELECT run_id, vm, valid_from_ns, valid_from_ns
FROM (SELECT *, row_number() OVER (PARTITION BY run_id, vm ORDER BY valid_from_ns) AS k FROM _config)
WHERE k > 1;

-- One row per mode switch of a VM, with the frames involving the VM that were lost while it ran.
-- Switches at boot (t = 0, no traffic yet) are listed with at_boot = true. @materialize
CREATE OR REPLACE VIEW mode_switches (
  -- Run.
  run_id,
  -- VM that switched.
  vm,
  -- Host of the VM.
  host,
  -- Mode the switch aimed at (mode_switch_begin.mode).
  to_mode,
  -- Mode the VM ran in afterwards (mode_switch_end.mode); differs from to_mode when the switch failed.
  result_mode,
  -- Why the switch did not reach to_mode (no_vf, licence, plugin_threw...); NULL when it did.
  failure,
  -- Plugin driving the data path after the switch.
  plugin,
  -- mode_switch_begin time, ns.
  t_begin,
  -- mode_switch_end time, ns; NULL if the run ended first.
  t_end,
  -- t_end - t_begin, ns (the VM's data path was disrupted this long).
  dur_ns,
  -- True for the switches made when the VM booted, before the capture's first frame.
  at_boot,
  -- In-flight descriptors reclaimed by the quiesce (mode_quiesce.aux); NULL if none was needed.
  reclaimed,
  -- Replicas to or from the VM lost while the switch ran (packet_path.outcome = 'lost').
  lost,
  -- The same, by reason: a list of {reason, replicas}.
  lost_by_reason,
  -- Replicas delivered to the VM while the switch ran.
  delivered
) AS
WITH s AS (
  SELECT *, row_number() OVER (ORDER BY run_id, vm, seq_begin) AS sid FROM _mode_switch_span
),
q AS (
  SELECT s.sid, max(e.aux) AS reclaimed
  FROM s JOIN _events_ctl e ON e.run_id = s.run_id AND e.vm = s.vm AND e.event = 'mode_quiesce'::npa_event
    AND e.t_ns >= s.t_begin AND e.t_ns <= coalesce(s.t_end, 9223372036854775807)
  GROUP BY s.sid
),
touch AS (
  -- replicas that involve the VM: sent by it, heading to it, or (lost before a decision) addressed to its MAC
  SELECT s.sid, p.outcome, p.reason
  FROM s
  JOIN packet_path p ON p.run_id = s.run_id AND p.t_end >= s.t_begin AND p.t_end <= coalesce(s.t_end, 9223372036854775807)
  LEFT JOIN _frames f ON f.run_id = p.run_id AND f.packet_id = p.packet_id
  LEFT JOIN _config c ON c.run_id = s.run_id AND c.vm = s.vm AND c.valid_from_ns <= p.t_in
    AND (c.valid_to_ns IS NULL OR c.valid_to_ns > p.t_in)
  WHERE p.dst = s.vm OR p.src_vm = s.vm OR (p.dst IS NULL AND f.dst_mac = c.mac)
),
l AS (
  SELECT sid, count(*) FILTER (outcome = 'lost') AS lost, count(*) FILTER (outcome = 'delivered') AS delivered
  FROM touch GROUP BY sid
),
lr AS (
  SELECT sid, list({'reason': reason, 'replicas': n} ORDER BY n DESC, reason) AS by_reason
  FROM (SELECT sid, reason, count(*) AS n FROM touch WHERE outcome = 'lost' GROUP BY ALL)
  GROUP BY sid
)
SELECT s.run_id, s.vm, s.host, s.to_mode, s.end_mode,
  CASE WHEN s.end_mode IS DISTINCT FROM s.to_mode THEN coalesce(s.end_reason::VARCHAR, 'unfinished') END,
  s.end_plugin, s.t_begin, s.t_end, s.t_end - s.t_begin, s.t_begin = 0 AND s.t_end = 0,
  q.reclaimed, coalesce(l.lost, 0), coalesce(lr.by_reason, []), coalesce(l.delivered, 0)
FROM s
LEFT JOIN q ON q.sid = s.sid
LEFT JOIN l ON l.sid = s.sid
LEFT JOIN lr ON lr.sid = s.sid;
