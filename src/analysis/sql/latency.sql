-- @module latency
-- @requires packet_path
-- Delivery latency (frame_in to delivery) of every delivered replica: percentiles by VM, direction,
-- mode and plugin, and where the time goes stage by stage. Percentiles are exact and discrete
-- (quantile_disc = nearest rank: the ceil(q * n)-th smallest latency), so a test can recompute them.

-- Latency percentiles of delivered replicas. Each run has rows at four grains: per (direction, vm,
-- mode, plugin), per (direction, mode, plugin), per direction and for the whole run; a column that
-- a grain sums over holds '*'. @materialize
CREATE OR REPLACE VIEW latency (
  -- Run.
  run_id,
  -- vm, mode, direction or run: which grouping the row is (see the view description).
  grain,
  -- vm_to_vm, vm_to_ext, ext_to_vm, ext_to_ext; '*' at the run grain.
  direction,
  -- The VM end of the path (receiver, or sender for vm_to_ext); '*' above the vm grain; NULL for ext_to_ext.
  vm,
  -- Data path mode of that VM; '*' above the mode grain.
  mode,
  -- Plugin of that VM; '*' above the mode grain.
  plugin,
  -- Delivered replicas.
  deliveries,
  -- Median latency, ns (nearest rank).
  p50_ns,
  -- 90th percentile, ns.
  p90_ns,
  -- 99th percentile, ns.
  p99_ns,
  -- 99.9th percentile, ns.
  p999_ns,
  -- Largest latency, ns.
  max_ns,
  -- Smallest latency, ns.
  min_ns,
  -- Mean latency, ns.
  mean_ns
) AS
SELECT run_id, grain, direction, vm, mode, plugin, deliveries, q[1], q[2], q[3], q[4], max_ns, min_ns, mean_ns
FROM (
  SELECT run_id,
    CASE WHEN grouping(direction) = 1 THEN 'run' WHEN grouping(mode) = 1 THEN 'direction' WHEN grouping(vm) = 1 THEN 'mode' ELSE 'vm' END AS grain,
    CASE WHEN grouping(direction) = 1 THEN '*' ELSE direction END AS direction,
    CASE WHEN grouping(vm) = 1 THEN '*' ELSE vm::VARCHAR END AS vm,
    CASE WHEN grouping(mode) = 1 THEN '*' ELSE mode::VARCHAR END AS mode,
    CASE WHEN grouping(plugin) = 1 THEN '*' ELSE plugin::VARCHAR END AS plugin,
    count(*) AS deliveries,
    -- one aggregate state for the four quantiles (four separate ones each keep and sort every value)
    quantile_disc(latency_ns, [0.5, 0.9, 0.99, 0.999]) AS q,
    max(latency_ns) AS max_ns, min(latency_ns) AS min_ns, avg(latency_ns) AS mean_ns
  FROM packet_path
  WHERE outcome = 'delivered'
  GROUP BY GROUPING SETS ((run_id, direction, vm, mode, plugin), (run_id, direction, mode, plugin), (run_id, direction), (run_id))
);

-- Internal: per delivered path, the time spent reaching each stage from the previous one (stages in
-- time order; a stage the path does not have is NULL). Written as greatest() over the other stages'
-- times rather than sorting a list per path: ~5x faster on 1M paths.
CREATE OR REPLACE VIEW _path_stage_dur AS
SELECT run_id, packet_id, replica, direction, mode, plugin,
  t_stack_tx - greatest(CASE WHEN t_in <= t_stack_tx THEN t_in END, CASE WHEN t_tx_post < t_stack_tx THEN t_tx_post END, CASE WHEN t_doorbell < t_stack_tx THEN t_doorbell END, CASE WHEN t_tx_fetch < t_stack_tx THEN t_tx_fetch END, CASE WHEN t_tx_dma_done < t_stack_tx THEN t_tx_dma_done END, CASE WHEN t_vswitch < t_stack_tx THEN t_vswitch END, CASE WHEN t_eswitch < t_stack_tx THEN t_eswitch END, CASE WHEN t_wire_tx < t_stack_tx THEN t_wire_tx END, CASE WHEN t_wire_rx < t_stack_tx THEN t_wire_rx END, CASE WHEN t_eswitch_last < t_stack_tx THEN t_eswitch_last END, CASE WHEN t_vswitch_last < t_stack_tx THEN t_vswitch_last END, CASE WHEN t_rx_dma_done < t_stack_tx THEN t_rx_dma_done END, CASE WHEN t_rx_writeback < t_stack_tx THEN t_rx_writeback END, CASE WHEN t_irq < t_stack_tx THEN t_irq END, CASE WHEN t_rx_complete < t_stack_tx THEN t_rx_complete END, CASE WHEN t_end < t_stack_tx THEN t_end END) AS d_stack_tx,
  t_tx_post - greatest(CASE WHEN t_in <= t_tx_post THEN t_in END, CASE WHEN t_stack_tx <= t_tx_post THEN t_stack_tx END, CASE WHEN t_doorbell < t_tx_post THEN t_doorbell END, CASE WHEN t_tx_fetch < t_tx_post THEN t_tx_fetch END, CASE WHEN t_tx_dma_done < t_tx_post THEN t_tx_dma_done END, CASE WHEN t_vswitch < t_tx_post THEN t_vswitch END, CASE WHEN t_eswitch < t_tx_post THEN t_eswitch END, CASE WHEN t_wire_tx < t_tx_post THEN t_wire_tx END, CASE WHEN t_wire_rx < t_tx_post THEN t_wire_rx END, CASE WHEN t_eswitch_last < t_tx_post THEN t_eswitch_last END, CASE WHEN t_vswitch_last < t_tx_post THEN t_vswitch_last END, CASE WHEN t_rx_dma_done < t_tx_post THEN t_rx_dma_done END, CASE WHEN t_rx_writeback < t_tx_post THEN t_rx_writeback END, CASE WHEN t_irq < t_tx_post THEN t_irq END, CASE WHEN t_rx_complete < t_tx_post THEN t_rx_complete END, CASE WHEN t_end < t_tx_post THEN t_end END) AS d_tx_post,
  t_doorbell - greatest(CASE WHEN t_in <= t_doorbell THEN t_in END, CASE WHEN t_stack_tx <= t_doorbell THEN t_stack_tx END, CASE WHEN t_tx_post <= t_doorbell THEN t_tx_post END, CASE WHEN t_tx_fetch < t_doorbell THEN t_tx_fetch END, CASE WHEN t_tx_dma_done < t_doorbell THEN t_tx_dma_done END, CASE WHEN t_vswitch < t_doorbell THEN t_vswitch END, CASE WHEN t_eswitch < t_doorbell THEN t_eswitch END, CASE WHEN t_wire_tx < t_doorbell THEN t_wire_tx END, CASE WHEN t_wire_rx < t_doorbell THEN t_wire_rx END, CASE WHEN t_eswitch_last < t_doorbell THEN t_eswitch_last END, CASE WHEN t_vswitch_last < t_doorbell THEN t_vswitch_last END, CASE WHEN t_rx_dma_done < t_doorbell THEN t_rx_dma_done END, CASE WHEN t_rx_writeback < t_doorbell THEN t_rx_writeback END, CASE WHEN t_irq < t_doorbell THEN t_irq END, CASE WHEN t_rx_complete < t_doorbell THEN t_rx_complete END, CASE WHEN t_end < t_doorbell THEN t_end END) AS d_doorbell,
  t_tx_fetch - greatest(CASE WHEN t_in <= t_tx_fetch THEN t_in END, CASE WHEN t_stack_tx <= t_tx_fetch THEN t_stack_tx END, CASE WHEN t_tx_post <= t_tx_fetch THEN t_tx_post END, CASE WHEN t_doorbell <= t_tx_fetch THEN t_doorbell END, CASE WHEN t_tx_dma_done < t_tx_fetch THEN t_tx_dma_done END, CASE WHEN t_vswitch < t_tx_fetch THEN t_vswitch END, CASE WHEN t_eswitch < t_tx_fetch THEN t_eswitch END, CASE WHEN t_wire_tx < t_tx_fetch THEN t_wire_tx END, CASE WHEN t_wire_rx < t_tx_fetch THEN t_wire_rx END, CASE WHEN t_eswitch_last < t_tx_fetch THEN t_eswitch_last END, CASE WHEN t_vswitch_last < t_tx_fetch THEN t_vswitch_last END, CASE WHEN t_rx_dma_done < t_tx_fetch THEN t_rx_dma_done END, CASE WHEN t_rx_writeback < t_tx_fetch THEN t_rx_writeback END, CASE WHEN t_irq < t_tx_fetch THEN t_irq END, CASE WHEN t_rx_complete < t_tx_fetch THEN t_rx_complete END, CASE WHEN t_end < t_tx_fetch THEN t_end END) AS d_tx_fetch,
  t_tx_dma_done - greatest(CASE WHEN t_in <= t_tx_dma_done THEN t_in END, CASE WHEN t_stack_tx <= t_tx_dma_done THEN t_stack_tx END, CASE WHEN t_tx_post <= t_tx_dma_done THEN t_tx_post END, CASE WHEN t_doorbell <= t_tx_dma_done THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_tx_dma_done THEN t_tx_fetch END, CASE WHEN t_vswitch < t_tx_dma_done THEN t_vswitch END, CASE WHEN t_eswitch < t_tx_dma_done THEN t_eswitch END, CASE WHEN t_wire_tx < t_tx_dma_done THEN t_wire_tx END, CASE WHEN t_wire_rx < t_tx_dma_done THEN t_wire_rx END, CASE WHEN t_eswitch_last < t_tx_dma_done THEN t_eswitch_last END, CASE WHEN t_vswitch_last < t_tx_dma_done THEN t_vswitch_last END, CASE WHEN t_rx_dma_done < t_tx_dma_done THEN t_rx_dma_done END, CASE WHEN t_rx_writeback < t_tx_dma_done THEN t_rx_writeback END, CASE WHEN t_irq < t_tx_dma_done THEN t_irq END, CASE WHEN t_rx_complete < t_tx_dma_done THEN t_rx_complete END, CASE WHEN t_end < t_tx_dma_done THEN t_end END) AS d_tx_dma,
  t_vswitch - greatest(CASE WHEN t_in <= t_vswitch THEN t_in END, CASE WHEN t_stack_tx <= t_vswitch THEN t_stack_tx END, CASE WHEN t_tx_post <= t_vswitch THEN t_tx_post END, CASE WHEN t_doorbell <= t_vswitch THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_vswitch THEN t_tx_fetch END, CASE WHEN t_tx_dma_done <= t_vswitch THEN t_tx_dma_done END, CASE WHEN t_eswitch < t_vswitch THEN t_eswitch END, CASE WHEN t_wire_tx < t_vswitch THEN t_wire_tx END, CASE WHEN t_wire_rx < t_vswitch THEN t_wire_rx END, CASE WHEN t_eswitch_last < t_vswitch THEN t_eswitch_last END, CASE WHEN t_vswitch_last < t_vswitch THEN t_vswitch_last END, CASE WHEN t_rx_dma_done < t_vswitch THEN t_rx_dma_done END, CASE WHEN t_rx_writeback < t_vswitch THEN t_rx_writeback END, CASE WHEN t_irq < t_vswitch THEN t_irq END, CASE WHEN t_rx_complete < t_vswitch THEN t_rx_complete END, CASE WHEN t_end < t_vswitch THEN t_end END) AS d_vswitch,
  t_eswitch - greatest(CASE WHEN t_in <= t_eswitch THEN t_in END, CASE WHEN t_stack_tx <= t_eswitch THEN t_stack_tx END, CASE WHEN t_tx_post <= t_eswitch THEN t_tx_post END, CASE WHEN t_doorbell <= t_eswitch THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_eswitch THEN t_tx_fetch END, CASE WHEN t_tx_dma_done <= t_eswitch THEN t_tx_dma_done END, CASE WHEN t_vswitch <= t_eswitch THEN t_vswitch END, CASE WHEN t_wire_tx < t_eswitch THEN t_wire_tx END, CASE WHEN t_wire_rx < t_eswitch THEN t_wire_rx END, CASE WHEN t_eswitch_last < t_eswitch THEN t_eswitch_last END, CASE WHEN t_vswitch_last < t_eswitch THEN t_vswitch_last END, CASE WHEN t_rx_dma_done < t_eswitch THEN t_rx_dma_done END, CASE WHEN t_rx_writeback < t_eswitch THEN t_rx_writeback END, CASE WHEN t_irq < t_eswitch THEN t_irq END, CASE WHEN t_rx_complete < t_eswitch THEN t_rx_complete END, CASE WHEN t_end < t_eswitch THEN t_end END) AS d_eswitch,
  t_wire_tx - greatest(CASE WHEN t_in <= t_wire_tx THEN t_in END, CASE WHEN t_stack_tx <= t_wire_tx THEN t_stack_tx END, CASE WHEN t_tx_post <= t_wire_tx THEN t_tx_post END, CASE WHEN t_doorbell <= t_wire_tx THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_wire_tx THEN t_tx_fetch END, CASE WHEN t_tx_dma_done <= t_wire_tx THEN t_tx_dma_done END, CASE WHEN t_vswitch <= t_wire_tx THEN t_vswitch END, CASE WHEN t_eswitch <= t_wire_tx THEN t_eswitch END, CASE WHEN t_wire_rx < t_wire_tx THEN t_wire_rx END, CASE WHEN t_eswitch_last < t_wire_tx THEN t_eswitch_last END, CASE WHEN t_vswitch_last < t_wire_tx THEN t_vswitch_last END, CASE WHEN t_rx_dma_done < t_wire_tx THEN t_rx_dma_done END, CASE WHEN t_rx_writeback < t_wire_tx THEN t_rx_writeback END, CASE WHEN t_irq < t_wire_tx THEN t_irq END, CASE WHEN t_rx_complete < t_wire_tx THEN t_rx_complete END, CASE WHEN t_end < t_wire_tx THEN t_end END) AS d_wire_tx,
  t_wire_rx - greatest(CASE WHEN t_in <= t_wire_rx THEN t_in END, CASE WHEN t_stack_tx <= t_wire_rx THEN t_stack_tx END, CASE WHEN t_tx_post <= t_wire_rx THEN t_tx_post END, CASE WHEN t_doorbell <= t_wire_rx THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_wire_rx THEN t_tx_fetch END, CASE WHEN t_tx_dma_done <= t_wire_rx THEN t_tx_dma_done END, CASE WHEN t_vswitch <= t_wire_rx THEN t_vswitch END, CASE WHEN t_eswitch <= t_wire_rx THEN t_eswitch END, CASE WHEN t_wire_tx <= t_wire_rx THEN t_wire_tx END, CASE WHEN t_eswitch_last < t_wire_rx THEN t_eswitch_last END, CASE WHEN t_vswitch_last < t_wire_rx THEN t_vswitch_last END, CASE WHEN t_rx_dma_done < t_wire_rx THEN t_rx_dma_done END, CASE WHEN t_rx_writeback < t_wire_rx THEN t_rx_writeback END, CASE WHEN t_irq < t_wire_rx THEN t_irq END, CASE WHEN t_rx_complete < t_wire_rx THEN t_rx_complete END, CASE WHEN t_end < t_wire_rx THEN t_end END) AS d_wire_rx,
  t_eswitch_last - greatest(CASE WHEN t_in <= t_eswitch_last THEN t_in END, CASE WHEN t_stack_tx <= t_eswitch_last THEN t_stack_tx END, CASE WHEN t_tx_post <= t_eswitch_last THEN t_tx_post END, CASE WHEN t_doorbell <= t_eswitch_last THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_eswitch_last THEN t_tx_fetch END, CASE WHEN t_tx_dma_done <= t_eswitch_last THEN t_tx_dma_done END, CASE WHEN t_vswitch <= t_eswitch_last THEN t_vswitch END, CASE WHEN t_eswitch <= t_eswitch_last THEN t_eswitch END, CASE WHEN t_wire_tx <= t_eswitch_last THEN t_wire_tx END, CASE WHEN t_wire_rx <= t_eswitch_last THEN t_wire_rx END, CASE WHEN t_vswitch_last < t_eswitch_last THEN t_vswitch_last END, CASE WHEN t_rx_dma_done < t_eswitch_last THEN t_rx_dma_done END, CASE WHEN t_rx_writeback < t_eswitch_last THEN t_rx_writeback END, CASE WHEN t_irq < t_eswitch_last THEN t_irq END, CASE WHEN t_rx_complete < t_eswitch_last THEN t_rx_complete END, CASE WHEN t_end < t_eswitch_last THEN t_end END) AS d_eswitch_rx,
  t_vswitch_last - greatest(CASE WHEN t_in <= t_vswitch_last THEN t_in END, CASE WHEN t_stack_tx <= t_vswitch_last THEN t_stack_tx END, CASE WHEN t_tx_post <= t_vswitch_last THEN t_tx_post END, CASE WHEN t_doorbell <= t_vswitch_last THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_vswitch_last THEN t_tx_fetch END, CASE WHEN t_tx_dma_done <= t_vswitch_last THEN t_tx_dma_done END, CASE WHEN t_vswitch <= t_vswitch_last THEN t_vswitch END, CASE WHEN t_eswitch <= t_vswitch_last THEN t_eswitch END, CASE WHEN t_wire_tx <= t_vswitch_last THEN t_wire_tx END, CASE WHEN t_wire_rx <= t_vswitch_last THEN t_wire_rx END, CASE WHEN t_eswitch_last <= t_vswitch_last THEN t_eswitch_last END, CASE WHEN t_rx_dma_done < t_vswitch_last THEN t_rx_dma_done END, CASE WHEN t_rx_writeback < t_vswitch_last THEN t_rx_writeback END, CASE WHEN t_irq < t_vswitch_last THEN t_irq END, CASE WHEN t_rx_complete < t_vswitch_last THEN t_rx_complete END, CASE WHEN t_end < t_vswitch_last THEN t_end END) AS d_vswitch_rx,
  t_rx_dma_done - greatest(CASE WHEN t_in <= t_rx_dma_done THEN t_in END, CASE WHEN t_stack_tx <= t_rx_dma_done THEN t_stack_tx END, CASE WHEN t_tx_post <= t_rx_dma_done THEN t_tx_post END, CASE WHEN t_doorbell <= t_rx_dma_done THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_rx_dma_done THEN t_tx_fetch END, CASE WHEN t_tx_dma_done <= t_rx_dma_done THEN t_tx_dma_done END, CASE WHEN t_vswitch <= t_rx_dma_done THEN t_vswitch END, CASE WHEN t_eswitch <= t_rx_dma_done THEN t_eswitch END, CASE WHEN t_wire_tx <= t_rx_dma_done THEN t_wire_tx END, CASE WHEN t_wire_rx <= t_rx_dma_done THEN t_wire_rx END, CASE WHEN t_eswitch_last <= t_rx_dma_done THEN t_eswitch_last END, CASE WHEN t_vswitch_last <= t_rx_dma_done THEN t_vswitch_last END, CASE WHEN t_rx_writeback < t_rx_dma_done THEN t_rx_writeback END, CASE WHEN t_irq < t_rx_dma_done THEN t_irq END, CASE WHEN t_rx_complete < t_rx_dma_done THEN t_rx_complete END, CASE WHEN t_end < t_rx_dma_done THEN t_end END) AS d_rx_dma,
  t_rx_writeback - greatest(CASE WHEN t_in <= t_rx_writeback THEN t_in END, CASE WHEN t_stack_tx <= t_rx_writeback THEN t_stack_tx END, CASE WHEN t_tx_post <= t_rx_writeback THEN t_tx_post END, CASE WHEN t_doorbell <= t_rx_writeback THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_rx_writeback THEN t_tx_fetch END, CASE WHEN t_tx_dma_done <= t_rx_writeback THEN t_tx_dma_done END, CASE WHEN t_vswitch <= t_rx_writeback THEN t_vswitch END, CASE WHEN t_eswitch <= t_rx_writeback THEN t_eswitch END, CASE WHEN t_wire_tx <= t_rx_writeback THEN t_wire_tx END, CASE WHEN t_wire_rx <= t_rx_writeback THEN t_wire_rx END, CASE WHEN t_eswitch_last <= t_rx_writeback THEN t_eswitch_last END, CASE WHEN t_vswitch_last <= t_rx_writeback THEN t_vswitch_last END, CASE WHEN t_rx_dma_done <= t_rx_writeback THEN t_rx_dma_done END, CASE WHEN t_irq < t_rx_writeback THEN t_irq END, CASE WHEN t_rx_complete < t_rx_writeback THEN t_rx_complete END, CASE WHEN t_end < t_rx_writeback THEN t_end END) AS d_rx_writeback,
  t_irq - greatest(CASE WHEN t_in <= t_irq THEN t_in END, CASE WHEN t_stack_tx <= t_irq THEN t_stack_tx END, CASE WHEN t_tx_post <= t_irq THEN t_tx_post END, CASE WHEN t_doorbell <= t_irq THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_irq THEN t_tx_fetch END, CASE WHEN t_tx_dma_done <= t_irq THEN t_tx_dma_done END, CASE WHEN t_vswitch <= t_irq THEN t_vswitch END, CASE WHEN t_eswitch <= t_irq THEN t_eswitch END, CASE WHEN t_wire_tx <= t_irq THEN t_wire_tx END, CASE WHEN t_wire_rx <= t_irq THEN t_wire_rx END, CASE WHEN t_eswitch_last <= t_irq THEN t_eswitch_last END, CASE WHEN t_vswitch_last <= t_irq THEN t_vswitch_last END, CASE WHEN t_rx_dma_done <= t_irq THEN t_rx_dma_done END, CASE WHEN t_rx_writeback <= t_irq THEN t_rx_writeback END, CASE WHEN t_rx_complete < t_irq THEN t_rx_complete END, CASE WHEN t_end < t_irq THEN t_end END) AS d_irq,
  t_rx_complete - greatest(CASE WHEN t_in <= t_rx_complete THEN t_in END, CASE WHEN t_stack_tx <= t_rx_complete THEN t_stack_tx END, CASE WHEN t_tx_post <= t_rx_complete THEN t_tx_post END, CASE WHEN t_doorbell <= t_rx_complete THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_rx_complete THEN t_tx_fetch END, CASE WHEN t_tx_dma_done <= t_rx_complete THEN t_tx_dma_done END, CASE WHEN t_vswitch <= t_rx_complete THEN t_vswitch END, CASE WHEN t_eswitch <= t_rx_complete THEN t_eswitch END, CASE WHEN t_wire_tx <= t_rx_complete THEN t_wire_tx END, CASE WHEN t_wire_rx <= t_rx_complete THEN t_wire_rx END, CASE WHEN t_eswitch_last <= t_rx_complete THEN t_eswitch_last END, CASE WHEN t_vswitch_last <= t_rx_complete THEN t_vswitch_last END, CASE WHEN t_rx_dma_done <= t_rx_complete THEN t_rx_dma_done END, CASE WHEN t_rx_writeback <= t_rx_complete THEN t_rx_writeback END, CASE WHEN t_irq <= t_rx_complete THEN t_irq END, CASE WHEN t_end < t_rx_complete THEN t_end END) AS d_rx_complete,
  t_end - greatest(CASE WHEN t_in <= t_end THEN t_in END, CASE WHEN t_stack_tx <= t_end THEN t_stack_tx END, CASE WHEN t_tx_post <= t_end THEN t_tx_post END, CASE WHEN t_doorbell <= t_end THEN t_doorbell END, CASE WHEN t_tx_fetch <= t_end THEN t_tx_fetch END, CASE WHEN t_tx_dma_done <= t_end THEN t_tx_dma_done END, CASE WHEN t_vswitch <= t_end THEN t_vswitch END, CASE WHEN t_eswitch <= t_end THEN t_eswitch END, CASE WHEN t_wire_tx <= t_end THEN t_wire_tx END, CASE WHEN t_wire_rx <= t_end THEN t_wire_rx END, CASE WHEN t_eswitch_last <= t_end THEN t_eswitch_last END, CASE WHEN t_vswitch_last <= t_end THEN t_vswitch_last END, CASE WHEN t_rx_dma_done <= t_end THEN t_rx_dma_done END, CASE WHEN t_rx_writeback <= t_end THEN t_rx_writeback END, CASE WHEN t_irq <= t_end THEN t_irq END, CASE WHEN t_rx_complete <= t_end THEN t_rx_complete END) AS d_deliver
FROM packet_path
WHERE outcome = 'delivered';

-- Where delivery latency goes: per run, direction, mode and plugin, the time from each stage's
-- previous stage to it (the stage is named by the event that ends it: doorbell = post → doorbell,
-- irq = RX write-back → interrupt...). Stage means add up to the mean latency of the group. @materialize
CREATE OR REPLACE VIEW latency_stages (
  -- Run.
  run_id,
  -- vm_to_vm, vm_to_ext, ext_to_vm or ext_to_ext.
  direction,
  -- Data path mode of the path's VM end (packet_path.mode).
  mode,
  -- Plugin of the path's VM end.
  plugin,
  -- Stage, named by the event that ends it: stack_tx, tx_post, doorbell, tx_fetch, tx_dma, vswitch, eswitch, wire_tx, wire_rx, eswitch_rx, vswitch_rx, rx_dma, rx_writeback, irq, rx_complete, deliver.
  stage,
  -- Position of the stage along a path (for ordering).
  stage_order,
  -- Paths that have this stage.
  paths,
  -- Mean time in the stage over those paths, ns.
  mean_ns,
  -- 99th percentile, ns.
  p99_ns,
  -- Mean time in the stage per delivered path of the group (paths without the stage count 0), ns; these add up to the group's mean latency.
  mean_share_ns
) AS
WITH g AS (
  SELECT run_id, direction, mode, plugin, count(*) AS n,
    count(d_stack_tx) AS c_stack_tx, avg(d_stack_tx) AS m_stack_tx, quantile_disc(d_stack_tx, 0.99) AS p99_stack_tx, sum(d_stack_tx) AS s_stack_tx,
    count(d_tx_post) AS c_tx_post, avg(d_tx_post) AS m_tx_post, quantile_disc(d_tx_post, 0.99) AS p99_tx_post, sum(d_tx_post) AS s_tx_post,
    count(d_doorbell) AS c_doorbell, avg(d_doorbell) AS m_doorbell, quantile_disc(d_doorbell, 0.99) AS p99_doorbell, sum(d_doorbell) AS s_doorbell,
    count(d_tx_fetch) AS c_tx_fetch, avg(d_tx_fetch) AS m_tx_fetch, quantile_disc(d_tx_fetch, 0.99) AS p99_tx_fetch, sum(d_tx_fetch) AS s_tx_fetch,
    count(d_tx_dma) AS c_tx_dma, avg(d_tx_dma) AS m_tx_dma, quantile_disc(d_tx_dma, 0.99) AS p99_tx_dma, sum(d_tx_dma) AS s_tx_dma,
    count(d_vswitch) AS c_vswitch, avg(d_vswitch) AS m_vswitch, quantile_disc(d_vswitch, 0.99) AS p99_vswitch, sum(d_vswitch) AS s_vswitch,
    count(d_eswitch) AS c_eswitch, avg(d_eswitch) AS m_eswitch, quantile_disc(d_eswitch, 0.99) AS p99_eswitch, sum(d_eswitch) AS s_eswitch,
    count(d_wire_tx) AS c_wire_tx, avg(d_wire_tx) AS m_wire_tx, quantile_disc(d_wire_tx, 0.99) AS p99_wire_tx, sum(d_wire_tx) AS s_wire_tx,
    count(d_wire_rx) AS c_wire_rx, avg(d_wire_rx) AS m_wire_rx, quantile_disc(d_wire_rx, 0.99) AS p99_wire_rx, sum(d_wire_rx) AS s_wire_rx,
    count(d_eswitch_rx) AS c_eswitch_rx, avg(d_eswitch_rx) AS m_eswitch_rx, quantile_disc(d_eswitch_rx, 0.99) AS p99_eswitch_rx, sum(d_eswitch_rx) AS s_eswitch_rx,
    count(d_vswitch_rx) AS c_vswitch_rx, avg(d_vswitch_rx) AS m_vswitch_rx, quantile_disc(d_vswitch_rx, 0.99) AS p99_vswitch_rx, sum(d_vswitch_rx) AS s_vswitch_rx,
    count(d_rx_dma) AS c_rx_dma, avg(d_rx_dma) AS m_rx_dma, quantile_disc(d_rx_dma, 0.99) AS p99_rx_dma, sum(d_rx_dma) AS s_rx_dma,
    count(d_rx_writeback) AS c_rx_writeback, avg(d_rx_writeback) AS m_rx_writeback, quantile_disc(d_rx_writeback, 0.99) AS p99_rx_writeback, sum(d_rx_writeback) AS s_rx_writeback,
    count(d_irq) AS c_irq, avg(d_irq) AS m_irq, quantile_disc(d_irq, 0.99) AS p99_irq, sum(d_irq) AS s_irq,
    count(d_rx_complete) AS c_rx_complete, avg(d_rx_complete) AS m_rx_complete, quantile_disc(d_rx_complete, 0.99) AS p99_rx_complete, sum(d_rx_complete) AS s_rx_complete,
    count(d_deliver) AS c_deliver, avg(d_deliver) AS m_deliver, quantile_disc(d_deliver, 0.99) AS p99_deliver, sum(d_deliver) AS s_deliver
  FROM _path_stage_dur GROUP BY run_id, direction, mode, plugin
)
SELECT run_id, direction, mode, plugin, stage, stage_order, paths, mean_ns, p99_ns, mean_share_ns FROM (
  SELECT run_id, direction, mode, plugin, 'stack_tx' AS stage, 1 AS stage_order, c_stack_tx AS paths, m_stack_tx AS mean_ns, p99_stack_tx AS p99_ns, s_stack_tx / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'tx_post' AS stage, 2 AS stage_order, c_tx_post AS paths, m_tx_post AS mean_ns, p99_tx_post AS p99_ns, s_tx_post / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'doorbell' AS stage, 3 AS stage_order, c_doorbell AS paths, m_doorbell AS mean_ns, p99_doorbell AS p99_ns, s_doorbell / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'tx_fetch' AS stage, 4 AS stage_order, c_tx_fetch AS paths, m_tx_fetch AS mean_ns, p99_tx_fetch AS p99_ns, s_tx_fetch / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'tx_dma' AS stage, 5 AS stage_order, c_tx_dma AS paths, m_tx_dma AS mean_ns, p99_tx_dma AS p99_ns, s_tx_dma / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'vswitch' AS stage, 6 AS stage_order, c_vswitch AS paths, m_vswitch AS mean_ns, p99_vswitch AS p99_ns, s_vswitch / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'eswitch' AS stage, 7 AS stage_order, c_eswitch AS paths, m_eswitch AS mean_ns, p99_eswitch AS p99_ns, s_eswitch / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'wire_tx' AS stage, 8 AS stage_order, c_wire_tx AS paths, m_wire_tx AS mean_ns, p99_wire_tx AS p99_ns, s_wire_tx / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'wire_rx' AS stage, 9 AS stage_order, c_wire_rx AS paths, m_wire_rx AS mean_ns, p99_wire_rx AS p99_ns, s_wire_rx / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'eswitch_rx' AS stage, 10 AS stage_order, c_eswitch_rx AS paths, m_eswitch_rx AS mean_ns, p99_eswitch_rx AS p99_ns, s_eswitch_rx / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'vswitch_rx' AS stage, 11 AS stage_order, c_vswitch_rx AS paths, m_vswitch_rx AS mean_ns, p99_vswitch_rx AS p99_ns, s_vswitch_rx / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'rx_dma' AS stage, 12 AS stage_order, c_rx_dma AS paths, m_rx_dma AS mean_ns, p99_rx_dma AS p99_ns, s_rx_dma / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'rx_writeback' AS stage, 13 AS stage_order, c_rx_writeback AS paths, m_rx_writeback AS mean_ns, p99_rx_writeback AS p99_ns, s_rx_writeback / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'irq' AS stage, 14 AS stage_order, c_irq AS paths, m_irq AS mean_ns, p99_irq AS p99_ns, s_irq / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'rx_complete' AS stage, 15 AS stage_order, c_rx_complete AS paths, m_rx_complete AS mean_ns, p99_rx_complete AS p99_ns, s_rx_complete / n AS mean_share_ns FROM g
  UNION ALL
  SELECT run_id, direction, mode, plugin, 'deliver' AS stage, 16 AS stage_order, c_deliver AS paths, m_deliver AS mean_ns, p99_deliver AS p99_ns, s_deliver / n AS mean_share_ns FROM g
) WHERE paths > 0;
