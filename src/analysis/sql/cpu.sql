-- @module cpu
-- @requires core
-- CPU cost: every event carries the CPU ns it cost and whose CPU paid (guest, hypervisor, nic).
-- Per VM and mode, the cost per frame the VM sent or received, including the work no single frame
-- owns (interrupt handling, doorbells, refills, VM exits), which is spread over the VM's frames.

-- Internal: CPU of each event charged to a VM, with the VM's mode. Events without a mode (the
-- embedded switch lookup of a VM's frame) take the mode of the frame's frame_in.
CREATE OR REPLACE VIEW _cpu_event AS
WITH e AS (SELECT run_id, packet_id, vm, mode, side, cpu_ns FROM _events WHERE cpu_ns > 0),
fin AS (SELECT run_id, packet_id, mode FROM _events WHERE event = 'frame_in'::npa_event AND mode IS NOT NULL)
SELECT e.run_id, e.vm, coalesce(e.mode, fin.mode) AS mode, e.side, e.packet_id IS NOT NULL AS per_packet, e.cpu_ns
FROM e LEFT JOIN fin ON fin.run_id = e.run_id AND fin.packet_id = e.packet_id;

-- Internal: CPU ns by run, VM, mode and side; packet_cpu_ns is the part charged to single frames
-- (NULL when none was). The loader sums it in its pass over the events (src/analysis/stages.ts);
-- _cpu_cost_sql is its definition, and the tests check that the two agree.
CREATE OR REPLACE VIEW _cpu_cost AS SELECT * FROM _cpu_cost_pre;
CREATE OR REPLACE VIEW _cpu_cost_sql AS
SELECT run_id, vm, mode, side, sum(cpu_ns)::BIGINT AS cpu_ns, (sum(cpu_ns) FILTER (per_packet))::BIGINT AS packet_cpu_ns
FROM _cpu_event GROUP BY ALL;

-- Internal: frames each VM sent (frame_in) and replicas it received (shell_rx_deliver), by mode at the
-- event. Counted by the loader's pass; _cpu_frames_sql is its definition.
CREATE OR REPLACE VIEW _cpu_frames AS SELECT * FROM _cpu_frames_pre;
CREATE OR REPLACE VIEW _cpu_frames_sql AS
SELECT run_id, vm, mode,
  count(*) FILTER (event = 'frame_in'::npa_event) AS tx_frames,
  count(*) FILTER (event = 'shell_rx_deliver'::npa_event) AS rx_frames
FROM _events WHERE event IN ('frame_in'::npa_event, 'shell_rx_deliver'::npa_event) AND vm IS NOT NULL
GROUP BY ALL;

-- CPU per frame by VM, mode and side. frames = frames the VM sent (frame_in) plus replicas it
-- received (shell_rx_deliver) in that mode. Events charged to no VM (the switch lookup of frames from
-- outside) are in a row with vm NULL. @materialize
CREATE OR REPLACE VIEW cpu (
  -- Run.
  run_id,
  -- VM the CPU was spent for; NULL for work no VM owns.
  vm,
  -- Data path mode at the event.
  mode,
  -- Whose CPU paid: guest, hypervisor or nic.
  side,
  -- Frames the VM sent in that mode.
  tx_frames,
  -- Replicas the VM received in that mode.
  rx_frames,
  -- All CPU ns of this VM, mode and side.
  cpu_ns,
  -- The part charged to events of a single frame (the rest is interrupts, doorbells, refills, exits).
  packet_cpu_ns,
  -- cpu_ns / (tx_frames + rx_frames); NULL without frames.
  cpu_ns_per_frame
) AS
WITH c AS (SELECT * FROM _cpu_cost),
f AS (SELECT * FROM _cpu_frames)
SELECT c.run_id, c.vm, c.mode, c.side, coalesce(f.tx_frames, 0), coalesce(f.rx_frames, 0), c.cpu_ns, coalesce(c.packet_cpu_ns, 0),
  c.cpu_ns / nullif(coalesce(f.tx_frames, 0) + coalesce(f.rx_frames, 0), 0)
FROM c LEFT JOIN f ON f.run_id = c.run_id AND f.vm IS NOT DISTINCT FROM c.vm AND f.mode IS NOT DISTINCT FROM c.mode;

-- CPU per frame by mode and side over all VMs (what compare and the report show first).
CREATE OR REPLACE VIEW cpu_by_mode (
  -- Run.
  run_id,
  -- Data path mode; NULL for work no VM owns.
  mode,
  -- guest, hypervisor or nic.
  side,
  -- Frames sent plus replicas received by VMs in that mode.
  frames,
  -- CPU ns.
  cpu_ns,
  -- cpu_ns / frames.
  cpu_ns_per_frame
) AS
WITH per_mode AS (
  SELECT run_id, mode, sum(tx_frames + rx_frames)::BIGINT AS frames
  FROM (SELECT DISTINCT run_id, vm, mode, tx_frames, rx_frames FROM cpu WHERE vm IS NOT NULL)
  GROUP BY ALL
)
SELECT c.run_id, c.mode, c.side, any_value(p.frames), sum(c.cpu_ns)::BIGINT, sum(c.cpu_ns) / nullif(any_value(p.frames), 0)
FROM cpu c LEFT JOIN per_mode p ON p.run_id = c.run_id AND p.mode IS NOT DISTINCT FROM c.mode
GROUP BY c.run_id, c.mode, c.side;
