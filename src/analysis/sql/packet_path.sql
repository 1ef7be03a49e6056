-- @module packet_path
-- @requires core
-- Frame paths: one row per frame replica that ended (delivered, lost, dropped by policy or filtered),
-- with the time of each stage it passed; replication lineage; drops by reason.

-- How each drop reason counts (the outcome column of packet_path).
CREATE OR REPLACE VIEW drop_reasons (
  -- Drop reason (events.reason).
  reason,
  -- lost: a legitimate loss (queue full, mode switch, migration, plugin bug); dropped: refused by policy
  -- or invalid input; filtered: no port wanted this copy (neither a loss nor a delivery).
  outcome,
  -- What the reason means.
  description
) AS
SELECT reason::npa_reason, outcome, description FROM (VALUES
  ('rx_ring_full', 'lost', 'RX ring had no free descriptor'),
  ('tx_queue_full', 'lost', 'shell TX backlog over its bound'),
  ('rx_disabled', 'lost', 'destination port receive disabled (mode switch in progress)'),
  ('mode_switch', 'lost', 'in-flight descriptor reclaimed when the VM left passthrough'),
  ('vm_paused', 'lost', 'VM paused for migration and the hypervisor buffer was full'),
  ('link_down', 'lost', 'active link down (bonding failover window)'),
  ('stale_location', 'lost', 'physical switch still sent the frame to the host the VM left'),
  ('erratum', 'lost', 'a plugin erratum lost the frame'),
  ('plugin_threw', 'lost', 'plugin raised an error; contained by the shell'),
  ('anti_spoof_mac', 'dropped', 'VF or vNIC sent with a source MAC that is not its own'),
  ('anti_spoof_vlan', 'dropped', 'VF or vNIC sent with a VLAN it may not use'),
  ('vlan_filter', 'dropped', 'no port of the frame''s VLAN accepts it (e.g. VID 4095)'),
  ('not_ethernet', 'dropped', 'input frame is not Ethernet'),
  ('no_destination', 'filtered', 'switching found no port for this copy'),
  ('policy_denied', 'dropped', 'control operation refused by policy (not a frame)'),
  ('licence', 'dropped', 'plugin rejected: licence (not a frame)'),
  ('shell_api', 'dropped', 'plugin rejected: Shell API version (not a frame)'),
  ('nic_unsupported', 'dropped', 'plugin rejected: NIC not supported (not a frame)'),
  ('no_vf', 'dropped', 'no free VF (not a frame)')
) AS t(reason, outcome, description);

-- Internal: per (run, packet, replica), the time of each stage on that replica's own events. The
-- loader computes this table while it streams the events (src/analysis/stages.ts: one pass over the
-- typed arrays, ~10x faster than this aggregate in DuckDB); _replica_stage_sql below is its definition,
-- and the tests check that the two agree.
CREATE OR REPLACE VIEW _replica_stage AS SELECT * FROM _replica_stage_pre;

-- Internal: the definition of _replica_stage in SQL.
CREATE OR REPLACE VIEW _replica_stage_sql AS
SELECT s.*, f.src_vm, f.host AS src_host, f.dst_kind, f.vlan AS frame_vlan, f.len AS frame_len
FROM (
SELECT run_id, packet_id, replica,
  min(t_ns) FILTER (event = 'frame_in'::npa_event) AS t_in,
  min(t_ns) FILTER (event = 'stack_tx'::npa_event) AS t_stack_tx,
  min(t_ns) FILTER (event = 'desc_post'::npa_event AND ring = 'tx'::npa_ring) AS t_tx_post,
  min(t_ns) FILTER (event = 'desc_fetch'::npa_event AND ring = 'tx'::npa_ring) AS t_tx_fetch,
  min(t_ns) FILTER (event = 'desc_process'::npa_event AND ring = 'tx'::npa_ring) AS t_tx_dma_done,
  min(t_ns) FILTER (event = 'desc_writeback'::npa_event AND ring = 'tx'::npa_ring) AS t_tx_writeback,
  min(t_ns) FILTER (event = 'desc_complete'::npa_event AND ring = 'tx'::npa_ring) AS t_tx_complete,
  min(t_ns) FILTER (event = 'vswitch_forward'::npa_event) AS t_vswitch_first,
  max(t_ns) FILTER (event = 'vswitch_forward'::npa_event) AS t_vswitch_last,
  min(t_ns) FILTER (event = 'eswitch_lookup'::npa_event) AS t_eswitch_first,
  max(t_ns) FILTER (event = 'eswitch_lookup'::npa_event) AS t_eswitch_last,
  min(t_ns) FILTER (event = 'wire_tx'::npa_event) AS t_wire_tx,
  min(t_ns) FILTER (event = 'wire_rx'::npa_event) AS t_wire_rx,
  min(t_ns) FILTER (event = 'desc_process'::npa_event AND ring = 'rx'::npa_ring) AS t_rx_dma_done,
  min(t_ns) FILTER (event = 'desc_writeback'::npa_event AND ring = 'rx'::npa_ring) AS t_rx_writeback,
  min(t_ns) FILTER (event = 'desc_complete'::npa_event AND ring = 'rx'::npa_ring) AS t_rx_complete,
  min(t_ns) FILTER (event IN ('shell_rx_deliver'::npa_event, 'ext_deliver'::npa_event, 'drop'::npa_event)) AS t_end,
  any_value(event) FILTER (event IN ('shell_rx_deliver'::npa_event, 'ext_deliver'::npa_event, 'drop'::npa_event)) AS end_event,
  any_value(reason) FILTER (event = 'drop'::npa_event) AS end_reason,
  any_value(vm) FILTER (event IN ('shell_rx_deliver'::npa_event, 'drop'::npa_event)) AS end_vm,
  any_value(host) FILTER (event IN ('shell_rx_deliver'::npa_event, 'drop'::npa_event)) AS end_host,
  any_value(mode) FILTER (event IN ('shell_rx_deliver'::npa_event, 'drop'::npa_event)) AS end_mode,
  any_value(plugin) FILTER (event IN ('shell_rx_deliver'::npa_event, 'drop'::npa_event)) AS end_plugin,
  any_value(mode) FILTER (event = 'frame_in'::npa_event) AS src_mode,
  any_value(plugin) FILTER (event = 'frame_in'::npa_event) AS src_plugin,
  arg_max(target, seq) FILTER (event IN ('eswitch_forward'::npa_event, 'vswitch_forward'::npa_event, 'phys_forward'::npa_event)) AS last_target,
  arg_min(aux, seq) FILTER (event IN ('eswitch_forward'::npa_event, 'vswitch_forward'::npa_event, 'phys_forward'::npa_event)) AS first_forward_aux
FROM _events
WHERE packet_id IS NOT NULL
GROUP BY run_id, packet_id, replica
) s
LEFT JOIN _frames f ON f.run_id = s.run_id AND f.packet_id = s.packet_id;

-- Replication tree: one row per replica made by a switching decision with several destinations.
-- The replica's first forward event names its parent in `aux` (later forwards of the same replica
-- keep its id, so only the first one is read).
CREATE OR REPLACE VIEW replica_tree (
  -- Run.
  run_id,
  -- Input frame.
  packet_id,
  -- The new replica.
  replica,
  -- The replica it was copied from.
  parent_replica
) AS
SELECT run_id, packet_id, replica, first_forward_aux::USMALLINT
FROM _replica_stage
WHERE first_forward_aux IS NOT NULL AND first_forward_aux <> replica;

-- Internal: each ended replica that was split off, with every ancestor (depth = steps up the tree).
-- Materialized: small, and the optimizer cannot estimate a recursive CTE (it guessed 44M rows). @materialize
CREATE OR REPLACE VIEW _replica_lineage AS
WITH RECURSIVE up(run_id, packet_id, replica, ancestor, depth) AS (
  SELECT t.run_id, t.packet_id, t.replica, t.parent_replica, 1
  FROM replica_tree t
  JOIN _replica_stage s ON s.run_id = t.run_id AND s.packet_id = t.packet_id AND s.replica = t.replica
  WHERE s.end_event IS NOT NULL
  UNION ALL
  SELECT u.run_id, u.packet_id, u.replica, t.parent_replica, u.depth + 1
  FROM up u JOIN replica_tree t ON t.run_id = u.run_id AND t.packet_id = u.packet_id AND t.replica = u.ancestor
  WHERE u.depth < 32
)
SELECT * FROM up;

-- Internal: stage times of each ended replica, its ancestors' stages included, in SQL (the first
-- part of _path_base_sql). Most replicas were never split off and are their own row of _replica_stage;
-- only the others are merged up the tree.
CREATE OR REPLACE VIEW _path_core_sql AS
SELECT s.run_id, s.packet_id, s.replica, NULL::USMALLINT AS parent_replica,
  s.t_in, s.t_stack_tx, s.t_tx_post, s.t_tx_fetch, s.t_tx_dma_done, s.t_tx_writeback, s.t_tx_complete,
  s.t_vswitch_first AS t_vswitch, s.t_vswitch_last, s.t_eswitch_first AS t_eswitch, s.t_eswitch_last,
  s.t_wire_tx, s.t_wire_rx, s.t_rx_dma_done, s.t_rx_writeback, s.t_rx_complete, s.src_mode, s.src_plugin,
  s.t_end, s.end_event, s.end_reason, s.end_vm, s.end_host, s.end_mode, s.end_plugin, s.last_target,
  s.src_vm, s.src_host, s.dst_kind, s.frame_vlan, s.frame_len
FROM _replica_stage s
ANTI JOIN replica_tree t ON t.run_id = s.run_id AND t.packet_id = s.packet_id AND t.replica = s.replica
WHERE s.end_event IS NOT NULL
UNION ALL
SELECT m.run_id, m.packet_id, m.replica, any_value(m.parent_replica),
  min(a.t_in), min(a.t_stack_tx), min(a.t_tx_post), min(a.t_tx_fetch), min(a.t_tx_dma_done), min(a.t_tx_writeback),
  min(a.t_tx_complete), min(a.t_vswitch_first), max(a.t_vswitch_last), min(a.t_eswitch_first), max(a.t_eswitch_last),
  min(a.t_wire_tx), min(a.t_wire_rx), min(a.t_rx_dma_done), min(a.t_rx_writeback), min(a.t_rx_complete),
  any_value(a.src_mode) FILTER (a.src_mode IS NOT NULL), any_value(a.src_plugin) FILTER (a.src_plugin IS NOT NULL),
  any_value(m.t_end), any_value(m.end_event), any_value(m.end_reason), any_value(m.end_vm), any_value(m.end_host),
  any_value(m.end_mode), any_value(m.end_plugin),
  -- the last switching target on the way: the replica's own, else its nearest ancestor's
  coalesce(any_value(m.last_target), arg_min(a.last_target, l.depth) FILTER (a.last_target IS NOT NULL)),
  any_value(m.src_vm), any_value(m.src_host), any_value(m.dst_kind), any_value(m.frame_vlan), any_value(m.frame_len)
FROM (
  SELECT s.*, t.parent_replica FROM _replica_stage s
  JOIN replica_tree t ON t.run_id = s.run_id AND t.packet_id = s.packet_id AND t.replica = s.replica
  WHERE s.end_event IS NOT NULL
) m
JOIN _replica_lineage l ON l.run_id = m.run_id AND l.packet_id = m.packet_id AND l.replica = m.replica
JOIN _replica_stage a ON a.run_id = l.run_id AND a.packet_id = l.packet_id AND a.replica = l.ancestor
GROUP BY m.run_id, m.packet_id, m.replica;

-- Internal: doorbells and interrupts, which carry no packet id, for the ASOF joins of _path_base_sql.
CREATE OR REPLACE VIEW _doorbell AS
SELECT run_id, vm, t_ns FROM _events WHERE event = 'doorbell'::npa_event AND ring = 'tx'::npa_ring;
CREATE OR REPLACE VIEW _irq AS
SELECT run_id, vm, t_ns FROM _events WHERE event = 'irq_raise'::npa_event;

-- Internal: the definition of _path_base in SQL: _path_core_sql with where each replica went (dst)
-- and the doorbell and interrupt of its path, which carry no packet id (ASOF joins on the VM's
-- doorbells and interrupts; they run on narrow rows: an ASOF join sorts its payload).
CREATE OR REPLACE VIEW _path_base_sql AS
WITH c AS (
  SELECT c.*,
    CASE
      WHEN c.end_event = 'shell_rx_deliver'::npa_event THEN c.end_vm
      WHEN c.end_event = 'ext_deliver'::npa_event THEN 'external'::npa_endpoint
      WHEN c.last_target IN ('pf'::npa_endpoint, 'uplink'::npa_endpoint) THEN NULL
      ELSE c.last_target
    END AS dst
  FROM _path_core_sql c
)
SELECT c.*, d.t_ns AS t_doorbell, CASE WHEN i.t_ns <= c.t_rx_complete THEN i.t_ns END AS t_irq
FROM c
LEFT JOIN (
  SELECT k.run_id, k.packet_id, k.replica, d.t_ns
  FROM (SELECT run_id, packet_id, replica, src_vm, t_tx_post FROM c WHERE t_tx_post IS NOT NULL AND src_vm IS NOT NULL) k
  ASOF JOIN _doorbell d ON d.run_id = k.run_id AND d.vm = k.src_vm AND d.t_ns >= k.t_tx_post
) d ON d.run_id = c.run_id AND d.packet_id = c.packet_id AND d.replica = c.replica
LEFT JOIN (
  SELECT k.run_id, k.packet_id, k.replica, i.t_ns
  FROM (SELECT run_id, packet_id, replica, dst, t_rx_writeback FROM c WHERE t_rx_writeback IS NOT NULL AND dst IS NOT NULL) k
  ASOF JOIN _irq i ON i.run_id = k.run_id AND i.vm = k.dst AND i.t_ns >= k.t_rx_writeback
) i ON i.run_id = c.run_id AND i.packet_id = c.packet_id AND i.replica = c.replica;

-- Internal: per ended replica, its stage times (ancestors' included), where it went (dst), and the
-- doorbell and interrupt of its path. The loader computes this table in its pass over the events
-- (src/analysis/stages.ts); _path_base_sql above is its definition, and the tests check that the
-- two agree.
CREATE OR REPLACE VIEW _path_base AS SELECT * FROM _path_base_pre;

-- Internal: _path_base with each replica's outcome.
CREATE OR REPLACE VIEW _path AS
SELECT c.*,
  CASE
    WHEN c.end_event IN ('shell_rx_deliver'::npa_event, 'ext_deliver'::npa_event) THEN 'delivered'
    ELSE coalesce(r.outcome, 'lost')
  END AS outcome
FROM _path_base c
LEFT JOIN drop_reasons r ON r.reason = c.end_reason;

-- One row per frame replica that ended: where it entered, where it was delivered or why it was lost,
-- and the time of each stage it passed (its ancestors' stages included; NULL when the path has no
-- such stage). Stage times are simulated ns. @materialize
CREATE OR REPLACE VIEW packet_path (
  -- Run.
  run_id,
  -- Input frame (frames.packet_id).
  packet_id,
  -- Replica that ended (0 if the frame was never replicated).
  replica,
  -- Replica this one was copied from; NULL for a replica that was never split off.
  parent_replica,
  -- Where the frame entered: the sending VM, or 'external'.
  entered,
  -- Sending VM; NULL for frames from outside.
  src_vm,
  -- Host of the sending VM; NULL for frames from outside.
  src_host,
  -- Where the replica went: the receiving VM, 'external', or (lost/dropped) the VM it was heading to; NULL when unknown.
  dst,
  -- Host of the receiving VM (deliveries and drops at a VM); NULL otherwise.
  dst_host,
  -- delivered, lost (legitimate loss), dropped (policy or invalid input) or filtered (no port wanted it); see drop_reasons.
  outcome,
  -- Drop reason; NULL when delivered.
  reason,
  -- vm_to_vm, vm_to_ext, ext_to_vm or ext_to_ext; NULL when dst is unknown.
  direction,
  -- The VM end of the path: the receiving VM for deliveries to a VM, else the sending VM.
  vm,
  -- Data path mode of `vm` (at delivery for receivers, at frame_in for senders).
  mode,
  -- Plugin of `vm` (same instant as mode).
  plugin,
  -- Sender's mode at frame_in; NULL for external frames.
  src_mode,
  -- Sender's plugin at frame_in; NULL for external frames.
  src_plugin,
  -- Receiver's mode at the end event; NULL unless the replica ended at a VM.
  dst_mode,
  -- Receiver's plugin at the end event; NULL unless the replica ended at a VM.
  dst_plugin,
  -- unicast, multicast or broadcast.
  dst_kind,
  -- Frame length in the capture, bytes.
  len,
  -- VLAN of the frame in the capture; NULL when untagged.
  vlan,
  -- frame_in: the frame entered the model.
  t_in,
  -- The replica's end event (deliver or drop).
  t_end,
  -- t_end - t_in for delivered replicas (equals the deliver event's aux); NULL otherwise.
  latency_ns,
  -- stack_tx: the guest stack handed the frame to the shell.
  t_stack_tx,
  -- desc_post (tx): the plugin posted the TX descriptor.
  t_tx_post,
  -- The first TX doorbell of the sender at or after t_tx_post (doorbells carry no packet id).
  t_doorbell,
  -- desc_fetch (tx): the device fetched the TX descriptor.
  t_tx_fetch,
  -- desc_process (tx): the TX DMA (or the emulation's copy) finished.
  t_tx_dma_done,
  -- desc_writeback (tx): TX descriptor written back (off the delivery path).
  t_tx_writeback,
  -- desc_complete (tx): the plugin reaped the TX completion (off the delivery path; may follow t_end).
  t_tx_complete,
  -- First vswitch_forward on the path (emulated sender or receiver).
  t_vswitch,
  -- Last vswitch_forward when the path crossed a vSwitch twice; else NULL.
  t_vswitch_last,
  -- First eswitch_lookup on the path.
  t_eswitch,
  -- Last eswitch_lookup when the path crossed two embedded switches; else NULL.
  t_eswitch_last,
  -- wire_tx: serialized onto the uplink.
  t_wire_tx,
  -- wire_rx: received from the physical switch.
  t_wire_rx,
  -- desc_process (rx): the RX DMA (or emulation copy) finished.
  t_rx_dma_done,
  -- desc_writeback (rx): RX descriptor written back.
  t_rx_writeback,
  -- The first irq_raise of the receiver at or after t_rx_writeback, if not after t_rx_complete.
  t_irq,
  -- desc_complete (rx): the plugin reaped the RX descriptor.
  t_rx_complete
) AS
SELECT p.run_id, p.packet_id, p.replica, p.parent_replica,
  coalesce(p.src_vm, 'external'::npa_endpoint),
  p.src_vm, p.src_host, p.dst,
  CASE WHEN p.dst = p.end_vm THEN p.end_host END,
  p.outcome, p.end_reason,
  CASE
    WHEN p.dst IS NULL THEN NULL
    WHEN p.src_vm IS NULL AND p.dst = 'external'::npa_endpoint THEN 'ext_to_ext'
    WHEN p.src_vm IS NULL THEN 'ext_to_vm'
    WHEN p.dst = 'external'::npa_endpoint THEN 'vm_to_ext'
    ELSE 'vm_to_vm'
  END,
  CASE WHEN p.dst IS NOT NULL AND p.dst <> 'external'::npa_endpoint THEN p.dst ELSE p.src_vm END,
  CASE WHEN p.dst IS NOT NULL AND p.dst <> 'external'::npa_endpoint THEN (CASE WHEN p.dst = p.end_vm THEN p.end_mode END) ELSE p.src_mode END,
  CASE WHEN p.dst IS NOT NULL AND p.dst <> 'external'::npa_endpoint THEN (CASE WHEN p.dst = p.end_vm THEN p.end_plugin END) ELSE p.src_plugin END,
  p.src_mode, p.src_plugin,
  CASE WHEN p.dst = p.end_vm THEN p.end_mode END,
  CASE WHEN p.dst = p.end_vm THEN p.end_plugin END,
  p.dst_kind, p.frame_len, p.frame_vlan,
  p.t_in, p.t_end,
  CASE WHEN p.outcome = 'delivered' THEN p.t_end - p.t_in END,
  p.t_stack_tx, p.t_tx_post, p.t_doorbell, p.t_tx_fetch, p.t_tx_dma_done, p.t_tx_writeback, p.t_tx_complete,
  p.t_vswitch, CASE WHEN p.t_vswitch_last <> p.t_vswitch THEN p.t_vswitch_last END,
  p.t_eswitch, CASE WHEN p.t_eswitch_last <> p.t_eswitch THEN p.t_eswitch_last END,
  p.t_wire_tx, p.t_wire_rx, p.t_rx_dma_done, p.t_rx_writeback,
  p.t_irq,
  p.t_rx_complete
FROM _path p;

-- Frames lost, dropped or filtered, by run, reason, VM and mode: the counts compare and notebooks chart. @materialize
CREATE OR REPLACE VIEW drops (
  -- Run.
  run_id,
  -- Drop reason.
  reason,
  -- lost, dropped or filtered (drop_reasons.outcome).
  outcome,
  -- The VM end of the path (packet_path.vm); NULL when neither end is a known VM.
  vm,
  -- Data path mode of vm.
  mode,
  -- Plugin of vm.
  plugin,
  -- Replicas that ended this way.
  replicas,
  -- Distinct input frames among them.
  frames
) AS
SELECT run_id, reason, outcome, vm, mode, plugin, count(*), count(DISTINCT packet_id)
FROM packet_path
WHERE outcome <> 'delivered'
GROUP BY ALL;
