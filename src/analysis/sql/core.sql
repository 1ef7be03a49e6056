-- @module core
-- The trace as loaded: one row per event, input frame, VM configuration interval and run, with a
-- run_id column so that several runs can be queried side by side. Helpers for MAC addresses.
-- Base tables (_events, _frames, _config, _runs) are created by the loader; these views document them.
-- _events and _frames are scans of the run's Arrow files (npa_scan); the library's views read the
-- loader's tables instead where they can (_replica_stage, _path_base, _cpu_cost, _cpu_frames, and
-- _events_ctl: the control events of _events, see CONTROL_EVENTS in src/analysis/stages.ts).

-- Formats a 48-bit MAC held in a BIGINT as "aa:bb:cc:dd:ee:ff".
CREATE OR REPLACE MACRO mac_str(mac) AS
  CASE WHEN mac IS NULL THEN NULL ELSE
    rtrim(regexp_replace(printf('%012x', mac::BIGINT), '(..)', '\1:', 'g'), ':')
  END;

-- Parses "aa:bb:cc:dd:ee:ff" (or "aa-bb-..") into the BIGINT form used by frames and config.
CREATE OR REPLACE MACRO mac_int(s) AS
  ('0x' || replace(replace(lower(s), ':', ''), '-', ''))::BIGINT;

-- True when the comma-separated list `list` (config.vlans, config.multicast) contains `item`.
CREATE OR REPLACE MACRO _list_has(list, item) AS
  list_contains(string_split(list, ','), item::VARCHAR);

-- Every trace event of every loaded run (rows of events*.arrow). `t_ns` is the truth; `seq` orders
-- events of equal time (emission order).
CREATE OR REPLACE VIEW events (
  -- Run the event belongs to (runs.run_id).
  run_id,
  -- Row number of the event in emission order within its run, 0-based; orders events with equal t_ns.
  seq,
  -- Simulated time in ns since the first frame of the capture.
  t_ns,
  -- Event name (npa-trace schema lists them and what `aux` means for each).
  event,
  -- Component that emitted the event.
  component,
  -- Input frame (frames.packet_id); NULL for control and ring-maintenance events.
  packet_id,
  -- Copy of the frame after replication: 0 before the first switching decision, then a new id per destination of a decision with several; NULL without packet.
  replica,
  -- Host where the event happened.
  host,
  -- VM the event belongs to (sender for TX stages, receiver for RX stages).
  vm,
  -- The VM's data path mode at the event: passthrough or emulated; NULL on eswitch and wire events.
  mode,
  -- Plugin (name@version) driving the data path for this event.
  plugin,
  -- Queue index on the device.
  queue,
  -- Descriptor ring: tx or rx.
  ring,
  -- Descriptor index in the ring.
  desc_idx,
  -- Frame length in bytes on this hop (after VLAN insert/strip).
  len,
  -- VLAN id the frame carries on this hop; NULL when untagged.
  vlan,
  -- Where a forward/deliver event sends the replica: a VM, pf, uplink or external.
  target,
  -- Why a frame was dropped or an operation refused.
  reason,
  -- Control operation of ctrl_* events; strategy of mig_begin/mig_end; phase of mig_phase_*.
  detail,
  -- CPU time this event cost, in ns (0 for pure hardware or bookkeeping events).
  cpu_ns,
  -- Whose CPU pays cpu_ns: guest, hypervisor or nic.
  side,
  -- Event-specific number: occupancy, delay, latency, parent replica... (see npa-trace schema).
  aux
) AS
SELECT run_id, seq, t_ns, event, component, packet_id, replica, host, vm, mode, plugin, queue, ring, desc_idx, len, vlan, target,
  reason, detail, cpu_ns, side, aux
FROM _events;

-- One row per input frame (frames.arrow): where and when it entered, its L2 header.
CREATE OR REPLACE VIEW frames (
  -- Run the frame belongs to.
  run_id,
  -- Index of the frame in the capture (0-based, packet records only).
  packet_id,
  -- Simulated time the frame entered the model (after pacing), ns.
  t_ns,
  -- Capture timestamp: seconds since the epoch.
  ts_sec,
  -- Capture timestamp: nanoseconds within the second.
  ts_nsec,
  -- Captured length in bytes.
  caplen,
  -- Original length on the wire in bytes.
  len,
  -- Source MAC as a 48-bit integer (mac_str() formats it).
  src_mac,
  -- Destination MAC as a 48-bit integer.
  dst_mac,
  -- unicast, multicast or broadcast destination.
  dst_kind,
  -- Outer VLAN id in the capture; NULL when untagged.
  vlan,
  -- Inner VLAN id (QinQ); NULL when absent.
  inner_vlan,
  -- Outer priority code point; NULL when untagged.
  pcp,
  -- Ethertype after the VLAN tags.
  ethertype,
  -- VM that sent the frame (its MAC, current or later, is the source); NULL if it came from outside.
  src_vm,
  -- Host where the frame entered (the sending VM's host); NULL when it entered at the physical switch.
  host
) AS
SELECT run_id, packet_id, t_ns, ts_sec, ts_nsec, caplen, len, src_mac, dst_mac, dst_kind, vlan, inner_vlan, pcp, ethertype,
  src_vm, host
FROM _frames;

-- One row per VM configuration interval [valid_from_ns, valid_to_ns) (config.arrow): what the L2
-- rules of switching_expected read.
CREATE OR REPLACE VIEW config (
  -- Run the interval belongs to.
  run_id,
  -- The VM this interval configures.
  vm,
  -- Host the VM runs on during the interval.
  host,
  -- VM MAC as a 48-bit integer (mac_str() formats it).
  mac,
  -- Port VLAN (inserted on TX, stripped on RX); NULL for none.
  vlan,
  -- Comma-separated VLANs the guest may tag itself (VLAN filter); empty for none.
  vlans,
  -- Comma-separated multicast MACs the VM listens to ("01:00:5e:..."); "*" for all.
  multicast,
  -- Port receives unknown unicast and all multicast of its VLANs.
  promiscuous,
  -- passthrough or emulated.
  mode,
  -- Plugin driving the data path (name@version).
  plugin,
  -- eswitch port: vf<N> in passthrough, pf (vSwitch) in emulated mode.
  port,
  -- Start of the interval (simulated ns, inclusive).
  valid_from_ns,
  -- End of the interval (exclusive); NULL while still valid at the end of the run.
  valid_to_ns
) AS
SELECT run_id, vm, host, mac, vlan, vlans, multicast, promiscuous, mode, plugin, port, valid_from_ns, valid_to_ns
FROM _config;

-- One row per loaded run (run.json).
CREATE OR REPLACE VIEW runs (
  -- Run id (the run directory's name unless run.json says otherwise).
  run_id,
  -- Position of the run on the command line, 0-based (the first run is the baseline of a comparison).
  run_index,
  -- Absolute path of the run directory.
  dir,
  -- Path of the replayed capture, as given to replay.
  capture,
  -- SHA-256 of the capture file.
  sha256,
  -- Seed of the model's random numbers.
  seed,
  -- Plugins (name@version) the run could use, as a list.
  plugins,
  -- Frames replayed.
  frames,
  -- Events in the trace.
  events,
  -- Simulated duration, ns.
  sim_ns,
  -- Trace schema version of the files.
  schema_version,
  -- npa-trace version that wrote the run.
  tool_version,
  -- Scenario source (a file path, or "derived from <capture>").
  scenario_source,
  -- Warnings of the replay, as a list.
  warnings,
  -- The whole run.json, for anything not above.
  run_json
) AS
SELECT run_id, run_index, dir,
  run_json ->> '$.capture.path',
  run_json ->> '$.capture.sha256',
  (run_json ->> '$.seed')::BIGINT,
  json_extract_string(run_json, '$.plugins[*].id'),
  (run_json ->> '$.counts.frames')::BIGINT,
  (run_json ->> '$.counts.events')::BIGINT,
  (run_json ->> '$.sim_ns')::BIGINT,
  run_json ->> '$.schema_version',
  run_json ->> '$.tool.version',
  run_json ->> '$.scenario.source',
  CAST(run_json -> '$.warnings' AS VARCHAR[]),
  run_json
FROM _runs;
