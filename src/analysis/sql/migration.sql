-- @module migration
-- @requires packet_path
-- Live migrations (mig_* events): each phase's start and duration, and what the VM's traffic went
-- through: blackout (nothing delivered to or from it), brownout (delivered, but slower than its own
-- baseline), frames lost by reason, buffered while paused, reordered, and latency inflation.

-- Internal: mig_begin paired with the VM's next mig_end.
CREATE OR REPLACE VIEW _migration AS
SELECT row_number() OVER (ORDER BY b.run_id, b.seq) AS mig_id, b.run_id, b.vm, b.detail AS strategy, b.host AS src_host,
  b.t_ns AS t_begin, b.seq AS seq_begin, e.t_ns AS t_end, e.host AS dst_host
FROM (SELECT * FROM _events_ctl WHERE event = 'mig_begin'::npa_event) b
ASOF LEFT JOIN (SELECT run_id, vm, seq, t_ns, host FROM _events_ctl WHERE event = 'mig_end'::npa_event) e
  ON e.run_id = b.run_id AND e.vm = b.vm AND e.seq >= b.seq;

-- One row per migration phase (mig_phase_begin .. mig_phase_end of the same phase), for timelines.
CREATE OR REPLACE VIEW migration_phases (
  -- Run.
  run_id,
  -- VM being migrated.
  vm,
  -- Phase: switch_to_emulated, uniform_switch, unplug, failover_detect, precopy, stop_and_copy, resume, announce, hotadd, switch_to_passthrough.
  phase,
  -- Host where the phase started.
  host,
  -- Phase start, ns.
  t_begin,
  -- Phase end, ns; NULL if the run ended first.
  t_end,
  -- t_end - t_begin, ns.
  dur_ns,
  -- mig_phase_end.aux: the phase duration, or for precopy the bytes sent.
  aux
) AS
SELECT b.run_id, b.vm, b.detail, b.host, b.t_ns, e.t_ns, e.t_ns - b.t_ns, e.aux
FROM (SELECT * FROM _events_ctl WHERE event = 'mig_phase_begin'::npa_event) b
ASOF LEFT JOIN (SELECT run_id, vm, detail, seq, t_ns, aux FROM _events_ctl WHERE event = 'mig_phase_end'::npa_event) e
  ON e.run_id = b.run_id AND e.vm = b.vm AND e.detail = b.detail AND e.seq >= b.seq;

-- Internal: replicas delivered to or sent by each migrating VM, in delivery order, with the gap since the previous one.
CREATE OR REPLACE VIEW _mig_traffic AS
WITH v AS (SELECT DISTINCT run_id, vm FROM _migration),
d AS (
  SELECT p.run_id, v.vm, p.packet_id, p.entered, p.dst, p.t_in, p.t_end, p.latency_ns
  FROM packet_path p JOIN v ON v.run_id = p.run_id AND (p.dst = v.vm OR p.src_vm = v.vm)
  WHERE p.outcome = 'delivered'
)
SELECT *, lag(t_end) OVER (PARTITION BY run_id, vm ORDER BY t_end, packet_id) AS t_prev FROM d;

-- One row per live migration: phases, disruption of the VM's traffic, losses, and latency against
-- the VM's own baseline (its deliveries before the migration started). @materialize
CREATE OR REPLACE VIEW migrations (
  -- Run.
  run_id,
  -- VM migrated.
  vm,
  -- npa, bonding or uniform (mig_begin.detail).
  strategy,
  -- Host it left.
  src_host,
  -- Host it arrived at (mig_end.host).
  dst_host,
  -- mig_begin time, ns.
  t_begin,
  -- mig_end time, ns; NULL if the run ended first.
  t_end,
  -- t_end - t_begin, ns.
  dur_ns,
  -- Phases in order: a list of {phase, t_begin, dur_ns}.
  phases,
  -- vm_pause to vm_resume (stop-and-copy downtime), ns.
  paused_ns,
  -- Longest interval with no frame delivered to or from the VM that overlaps the migration, ns.
  blackout_ns,
  -- Start of that interval (last delivery before it), ns.
  blackout_from,
  -- End of that interval (first delivery after it), ns.
  blackout_to,
  -- From the first to the last delivery slower than the VM's baseline p99 during the migration, blackout excluded, ns.
  brownout_ns,
  -- Replicas to or from the VM lost during the migration.
  lost,
  -- The same by reason: a list of {reason, replicas}.
  lost_by_reason,
  -- Frames held in the hypervisor buffer while the VM was paused (mig_buffer events).
  buffered,
  -- Deliveries to the VM during the migration that arrived before an earlier-sent frame from the same source.
  reordered,
  -- Mean latency of the VM's deliveries before the migration, ns.
  baseline_mean_ns,
  -- p99 latency of the VM's deliveries before the migration, ns (nearest rank).
  baseline_p99_ns,
  -- Mean latency of the VM's deliveries during the migration, ns.
  during_mean_ns,
  -- p99 latency during the migration, ns.
  during_p99_ns,
  -- during_mean_ns / baseline_mean_ns.
  latency_inflation
) AS
WITH m AS (SELECT *, coalesce(t_end, 9223372036854775807) AS t_stop FROM _migration),
ph AS (
  SELECT m.mig_id, list({'phase': p.phase::VARCHAR, 't_begin': p.t_begin, 'dur_ns': p.dur_ns} ORDER BY p.t_begin, p.phase) AS phases
  FROM m JOIN migration_phases p ON p.run_id = m.run_id AND p.vm = m.vm AND p.t_begin >= m.t_begin AND p.t_begin <= m.t_stop
  GROUP BY m.mig_id
),
pause AS (
  SELECT m.mig_id, sum(r.t_ns - p.t_ns) AS paused_ns
  FROM m
  JOIN _events_ctl p ON p.run_id = m.run_id AND p.vm = m.vm AND p.event = 'vm_pause'::npa_event AND p.t_ns BETWEEN m.t_begin AND m.t_stop
  ASOF JOIN (SELECT run_id, vm, seq, t_ns FROM _events_ctl WHERE event = 'vm_resume'::npa_event) r
    ON r.run_id = p.run_id AND r.vm = p.vm AND r.seq >= p.seq
  GROUP BY m.mig_id
),
buf AS (
  SELECT m.mig_id, count(*) AS buffered
  FROM m JOIN _events_ctl b ON b.run_id = m.run_id AND b.vm = m.vm AND b.event = 'mig_buffer'::npa_event AND b.t_ns BETWEEN m.t_begin AND m.t_stop
  GROUP BY m.mig_id
),
gap AS (
  SELECT m.mig_id, arg_max(t.t_prev, t.t_end - t.t_prev) AS g_from, arg_max(t.t_end, t.t_end - t.t_prev) AS g_to
  FROM m JOIN _mig_traffic t ON t.run_id = m.run_id AND t.vm = m.vm AND t.t_prev <= m.t_stop AND t.t_end >= m.t_begin
  GROUP BY m.mig_id
),
base AS (
  SELECT m.mig_id, avg(t.latency_ns) AS b_mean, quantile_disc(t.latency_ns, 0.99) AS b_p99
  FROM m JOIN _mig_traffic t ON t.run_id = m.run_id AND t.vm = m.vm AND t.t_end < m.t_begin
  GROUP BY m.mig_id
),
during AS (
  SELECT m.mig_id, avg(t.latency_ns) AS d_mean, quantile_disc(t.latency_ns, 0.99) AS d_p99,
    min(t.t_end) FILTER (t.latency_ns > b.b_p99) AS slow_first, max(t.t_end) FILTER (t.latency_ns > b.b_p99) AS slow_last
  FROM m JOIN _mig_traffic t ON t.run_id = m.run_id AND t.vm = m.vm AND t.t_end BETWEEN m.t_begin AND m.t_stop
  LEFT JOIN base b ON b.mig_id = m.mig_id
  GROUP BY m.mig_id
),
reord AS (
  SELECT mig_id, count(*) FILTER (t_in < prev_max_in) AS reordered
  FROM (
    SELECT m.mig_id, t.t_in,
      max(t.t_in) OVER (PARTITION BY m.mig_id, t.entered ORDER BY t.t_end, t.packet_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max_in
    FROM m JOIN _mig_traffic t ON t.run_id = m.run_id AND t.dst = m.vm AND t.t_end BETWEEN m.t_begin AND m.t_stop
  )
  GROUP BY mig_id
),
loss AS (
  SELECT m.mig_id, p.reason
  FROM m
  JOIN packet_path p ON p.run_id = m.run_id AND p.outcome = 'lost' AND p.t_end BETWEEN m.t_begin AND m.t_stop
  LEFT JOIN _frames f ON f.run_id = p.run_id AND f.packet_id = p.packet_id
  WHERE p.dst = m.vm OR p.src_vm = m.vm
    OR (p.dst IS NULL AND f.dst_mac IN (SELECT c.mac FROM _config c WHERE c.run_id = m.run_id AND c.vm = m.vm))
),
lost AS (
  SELECT mig_id, sum(n) AS lost, list({'reason': reason, 'replicas': n} ORDER BY n DESC, reason) AS by_reason
  FROM (SELECT mig_id, reason, count(*) AS n FROM loss GROUP BY ALL)
  GROUP BY mig_id
)
SELECT m.run_id, m.vm, m.strategy, m.src_host, m.dst_host, m.t_begin, m.t_end, m.t_end - m.t_begin,
  coalesce(ph.phases, []), pause.paused_ns,
  gap.g_to - gap.g_from, gap.g_from, gap.g_to,
  CASE WHEN d.slow_first IS NULL THEN 0 ELSE greatest(0,
    (d.slow_last - d.slow_first) - greatest(0, least(d.slow_last, gap.g_to) - greatest(d.slow_first, gap.g_from))) END,
  coalesce(lost.lost, 0), coalesce(lost.by_reason, []), coalesce(buf.buffered, 0), coalesce(reord.reordered, 0),
  b.b_mean, b.b_p99, d.d_mean, d.d_p99, d.d_mean / b.b_mean
FROM m
LEFT JOIN ph ON ph.mig_id = m.mig_id
LEFT JOIN pause ON pause.mig_id = m.mig_id
LEFT JOIN buf ON buf.mig_id = m.mig_id
LEFT JOIN gap ON gap.mig_id = m.mig_id
LEFT JOIN base b ON b.mig_id = m.mig_id
LEFT JOIN during d ON d.mig_id = m.mig_id
LEFT JOIN reord ON reord.mig_id = m.mig_id
LEFT JOIN lost ON lost.mig_id = m.mig_id;
