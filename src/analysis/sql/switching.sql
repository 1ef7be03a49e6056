-- @module switching
-- @requires packet_path mode_switch
-- The switching oracle: where L2 rules say each frame must go, computed from `frames` and `config`
-- ONLY (never from the model's switching events), compared with where the trace says it went.
--
-- Rules (802.1D learning bridge + 802.1Qbg VEB as the 82599 implements it, [IX-SRIOV], [Q-IGB];
-- each VM port configured by the config row valid at the frame's frame_in time):
--  * Source S: frames.src_vm, or outside. Effective VLAN v: S's port VLAN if it has one (the guest is
--    untagged; the capture's tag is ignored), else the frame's outer tag (NULL = untagged).
--  * Anti-spoofing on S's port: S's current MAC must be the source MAC (anti_spoof_mac, checked
--    first); a port without port VLAN may only tag VLANs in its list (anti_spoof_vlan). VID 4095 is
--    never valid (vlan_filter). An expected drop means no destination at all.
--  * Membership of VM X in v: v untagged -> X has no port VLAN; v tagged -> X's port VLAN is v or v is
--    in X's VLAN list.
--  * Broadcast -> every member VM but S; multicast -> member VMs but S that listen to the group
--    (in their list, "*", or promiscuous); both also go out to 'external' when S is a VM.
--  * Unicast to the current MAC of a member VM X != S -> X (on any host: the physical switch knows
--    every VM MAC, which hosts announce). A frame to S's own MAC reaches nothing.
--  * Other unicast is unknown on the embedded switch of each host it reaches, which floods it to the
--    promiscuous member VF ports of that host [Q-IGB]. It reaches S's host, and leaves it by the
--    uplink unless that host's switch knows the MAC; the physical switch then sends it to the host
--    where that MAC was last announced, to nobody when it learned the MAC from an earlier frame from
--    outside, and floods it to every host and outside otherwise. A VM's frame that leaves its host
--    for a MAC that is no VM's goes to 'external'. Emulated VMs sit behind the PF (the default pool):
--    their vSwitch floods the unicast it has no member VM for to its promiscuous VMs, and it sees a
--    frame when the source is one of its VMs, the MAC is one of its VMs', or the frame came in by the
--    uplink and no member VF of that host owns the MAC.
--  * External endpoints are compared for VM-sourced frames only.

-- Internal: config rows with the lists parsed.
CREATE OR REPLACE VIEW _cfg AS
SELECT run_id, vm, host, mac, vlan AS pvid,
  CASE WHEN vlans = '' THEN []::INTEGER[] ELSE list_transform(string_split(vlans, ','), lambda x: x::INTEGER) END AS vlan_list,
  CASE WHEN multicast IN ('', '*') THEN []::BIGINT[] ELSE list_transform(string_split(multicast, ','), lambda m: mac_int(m)) END AS groups,
  multicast = '*' AS all_multi,
  promiscuous, mode, port,
  valid_from_ns AS t_from, coalesce(valid_to_ns, 9223372036854775807) AS t_to
FROM _config;

-- Internal: VLAN membership (v NULL = untagged).
CREATE OR REPLACE MACRO _is_member(pvid, vlan_list, v) AS
  CASE WHEN v IS NULL THEN pvid IS NULL ELSE coalesce(pvid = v, false) OR list_contains(vlan_list, v::INTEGER) END;

-- Internal: per Ethernet frame, the source's port, the effective VLAN and any expected drop. @materialize
CREATE OR REPLACE VIEW _sw_frame AS
SELECT f.run_id, f.packet_id, f.t_ns, f.src_mac, f.dst_mac, f.dst_kind, f.vlan AS tag, f.src_vm,
  s.host AS src_host, s.port AS src_port,
  CASE WHEN f.src_vm IS NOT NULL AND s.pvid IS NOT NULL THEN s.pvid ELSE f.vlan END AS v,
  CASE
    WHEN f.src_vm IS NOT NULL AND s.mac IS DISTINCT FROM f.src_mac THEN 'anti_spoof_mac'
    WHEN f.src_vm IS NOT NULL AND s.pvid IS NULL AND f.vlan IS NOT NULL AND NOT list_contains(s.vlan_list, f.vlan::INTEGER) THEN 'anti_spoof_vlan'
    WHEN (CASE WHEN f.src_vm IS NOT NULL AND s.pvid IS NOT NULL THEN s.pvid ELSE f.vlan END) = 4095 THEN 'vlan_filter'
  END AS expect_drop
FROM _frames f
LEFT JOIN _cfg s ON s.run_id = f.run_id AND s.vm = f.src_vm AND f.t_ns >= s.t_from AND f.t_ns < s.t_to
WHERE NOT (f.src_mac = 0 AND f.dst_mac = 0 AND f.ethertype = 0); -- not Ethernet (replay writes zeros)

-- Internal: unicast frames with what the network knows about the destination MAC.
CREATE OR REPLACE VIEW _sw_unicast AS
WITH u AS (SELECT * FROM _sw_frame WHERE dst_kind = 'unicast'::npa_dst_kind AND expect_drop IS NULL),
announced AS ( -- where each MAC (current or former VM MAC) was last announced: the host of the config
  -- row with the latest start at or before the frame, as intervals [t_from, next start of that MAC)
  SELECT run_id, mac, host, t_from,
    coalesce(lead(t_from) OVER (PARTITION BY run_id, mac ORDER BY t_from), 9223372036854775807) AS t_next
  FROM _cfg
),
ext_src AS ( -- first frame from outside with each source MAC (the physical switch learns it there)
  SELECT run_id, src_mac, min(packet_id) AS first_packet FROM _frames WHERE src_vm IS NULL GROUP BY ALL
)
SELECT u.*, o.vm AS owner_vm, o.host AS owner_host, o.port AS owner_port,
  CASE WHEN o.vm IS NOT NULL THEN _is_member(o.pvid, o.vlan_list, u.v) END AS owner_member,
  a.host AS announced_host,
  coalesce(x.first_packet < u.packet_id, false) AS learned_outside
FROM u
-- the VM holding dst_mac now
LEFT JOIN _cfg o ON o.run_id = u.run_id AND o.mac = u.dst_mac AND u.t_ns >= o.t_from AND u.t_ns < o.t_to
LEFT JOIN announced a ON a.run_id = u.run_id AND a.mac = u.dst_mac AND u.t_ns >= a.t_from AND u.t_ns < a.t_next
LEFT JOIN ext_src x ON x.run_id = u.run_id AND x.src_mac = u.dst_mac;

-- Internal: the hosts of each run.
CREATE OR REPLACE VIEW _sw_hosts AS
SELECT run_id, list(DISTINCT host ORDER BY host) AS all_hosts FROM _config GROUP BY run_id;

-- Internal: unicast frames with whether the source's host knows the MAC, whether the frame leaves that
-- host, and whether it goes outside. The hosts it reaches are lists (the macros below), computed only
-- for the few (frame, promiscuous port) pairs that need them. @materialize
CREATE OR REPLACE VIEW _sw_unicast_reach AS
WITH r AS (
  SELECT *,
    -- does the host's switch know dst_mac (a VF member port, or an emulated VM behind the PF, any VLAN)?
    owner_vm IS NOT NULL AND (owner_port = 'pf' OR owner_member) AS owner_known
  FROM _sw_unicast
),
r2 AS (
  SELECT *,
    src_vm IS NOT NULL AND NOT (owner_known AND owner_host = src_host) AS leaves_src_host
  FROM r
)
SELECT *,
  src_vm IS NOT NULL AND leaves_src_host AND announced_host IS NULL AS to_external
FROM r2;

-- Internal: hosts the physical switch sends a unicast frame to: where the MAC was last announced,
-- nobody when it learned the MAC from outside, else every host (flood).
CREATE OR REPLACE MACRO _sw_pswitch_hosts(announced_host, learned_outside, all_hosts) AS
  CASE WHEN announced_host IS NOT NULL THEN [announced_host] WHEN learned_outside THEN [] ELSE all_hosts END;

-- Internal: hosts whose embedded switch sees a unicast frame as unknown.
CREATE OR REPLACE MACRO _sw_reached_hosts(src_vm, leaves_src_host, src_host, pswitch_hosts) AS
  CASE
    WHEN src_vm IS NULL THEN pswitch_hosts
    WHEN leaves_src_host THEN list_distinct(list_concat([src_host], list_filter(pswitch_hosts, lambda h: h <> src_host)))
    ELSE [src_host]
  END;

-- Internal: hosts whose vSwitch sees a unicast frame: the emulated source's own; the source's host when
-- the MAC belongs to an emulated VM there (the PF owns it); every host it reaches by the uplink unless
-- a member VF there owns the MAC (unknown unicast from the uplink goes to the PF, the default pool).
CREATE OR REPLACE MACRO _sw_vswitch_hosts(src_vm, src_port, src_host, leaves_src_host, owner_vm, owner_port, owner_host, owner_member, pswitch_hosts) AS
  list_distinct(list_concat(
    CASE WHEN src_port = 'pf' OR (src_vm IS NOT NULL AND owner_port = 'pf' AND owner_host = src_host) THEN [src_host] ELSE [] END,
    list_filter(CASE WHEN src_vm IS NULL THEN pswitch_hosts WHEN leaves_src_host THEN list_filter(pswitch_hosts, lambda h: h <> src_host) ELSE [] END,
      lambda h: NOT (owner_vm IS NOT NULL AND owner_host = h AND owner_port LIKE 'vf%' AND owner_member))
  ));

-- Where the L2 rules say each frame must go, from frames and config only: one row per (frame,
-- expected endpoint), or one row with endpoint NULL for a frame that must be dropped. Frames that
-- must reach nobody (e.g. unicast from outside to an unknown MAC) have no row. @materialize
CREATE OR REPLACE VIEW switching_expected (
  -- Run.
  run_id,
  -- Input frame.
  packet_id,
  -- frame_in time, ns (the configuration of that instant applies).
  t_ns,
  -- Sending VM; NULL for frames from outside.
  src_vm,
  -- unicast, multicast or broadcast.
  dst_kind,
  -- Effective VLAN inside the switch (the sender's port VLAN, else the frame's tag); NULL untagged.
  vlan,
  -- A VM, or 'external'; NULL when the frame must be dropped.
  endpoint,
  -- deliver, or drop (endpoint NULL).
  expect,
  -- Why: unicast, promiscuous (unicast flooded to a promiscuous VF or vNIC), broadcast, multicast, external, or the expected drop reason (anti_spoof_mac, anti_spoof_vlan, vlan_filter).
  rule
) AS
-- expected drops
SELECT run_id, packet_id, t_ns, src_vm, dst_kind, v, NULL::npa_endpoint, 'drop', expect_drop
FROM _sw_frame WHERE expect_drop IS NOT NULL
UNION ALL
-- broadcast and multicast to member VMs
SELECT f.run_id, f.packet_id, f.t_ns, f.src_vm, f.dst_kind, f.v, x.vm, 'deliver', f.dst_kind::VARCHAR
FROM _sw_frame f
JOIN _cfg x ON x.run_id = f.run_id AND f.t_ns >= x.t_from AND f.t_ns < x.t_to
WHERE f.expect_drop IS NULL AND f.dst_kind IN ('broadcast'::npa_dst_kind, 'multicast'::npa_dst_kind)
  AND x.vm IS DISTINCT FROM f.src_vm
  AND _is_member(x.pvid, x.vlan_list, f.v)
  AND (f.dst_kind = 'broadcast'::npa_dst_kind OR x.all_multi OR x.promiscuous OR list_contains(x.groups, f.dst_mac))
UNION ALL
-- broadcast and multicast from a VM also go outside
SELECT run_id, packet_id, t_ns, src_vm, dst_kind, v, 'external'::npa_endpoint, 'deliver', 'external'
FROM _sw_frame WHERE expect_drop IS NULL AND dst_kind IN ('broadcast'::npa_dst_kind, 'multicast'::npa_dst_kind) AND src_vm IS NOT NULL
UNION ALL
-- unicast to a member VM
SELECT run_id, packet_id, t_ns, src_vm, dst_kind, v, owner_vm, 'deliver', 'unicast'
FROM _sw_unicast_reach WHERE owner_vm IS NOT NULL AND owner_member AND owner_vm IS DISTINCT FROM src_vm
UNION ALL
-- unknown unicast flooded to promiscuous member VF ports of the hosts where it is unknown
-- (the host lists are evaluated above the join: only for pairs with a promiscuous port)
SELECT run_id, packet_id, t_ns, src_vm, dst_kind, v, x_vm, 'deliver', 'promiscuous'
FROM (
  SELECT u.*, x.vm AS x_vm, x.host AS x_host, h.all_hosts
  FROM _sw_unicast_reach u
  JOIN _cfg x ON x.run_id = u.run_id AND u.t_ns >= x.t_from AND u.t_ns < x.t_to
  JOIN _sw_hosts h ON h.run_id = u.run_id
  WHERE x.promiscuous AND x.port LIKE 'vf%' AND x.vm IS DISTINCT FROM u.src_vm
    AND _is_member(x.pvid, x.vlan_list, u.v)
    AND NOT (u.owner_known AND u.owner_host = x.host)
    AND x.vm IS DISTINCT FROM u.owner_vm
)
WHERE list_contains(_sw_reached_hosts(src_vm, leaves_src_host, src_host, _sw_pswitch_hosts(announced_host, learned_outside, all_hosts)), x_host)
UNION ALL
-- the vSwitch floods unicast it has no member VM for to its promiscuous member VMs (emulated ports)
SELECT run_id, packet_id, t_ns, src_vm, dst_kind, v, x_vm, 'deliver', 'promiscuous'
FROM (
  SELECT u.*, x.vm AS x_vm, x.host AS x_host, h.all_hosts
  FROM _sw_unicast_reach u
  JOIN _cfg x ON x.run_id = u.run_id AND u.t_ns >= x.t_from AND u.t_ns < x.t_to
  JOIN _sw_hosts h ON h.run_id = u.run_id
  WHERE x.promiscuous AND x.port = 'pf' AND x.vm IS DISTINCT FROM u.src_vm
    AND _is_member(x.pvid, x.vlan_list, u.v)
    AND NOT (u.owner_vm IS NOT NULL AND u.owner_host = x.host AND u.owner_port = 'pf' AND u.owner_member)
    AND x.vm IS DISTINCT FROM u.owner_vm
)
WHERE list_contains(_sw_vswitch_hosts(src_vm, src_port, src_host, leaves_src_host, owner_vm, owner_port, owner_host, owner_member,
  _sw_pswitch_hosts(announced_host, learned_outside, all_hosts)), x_host)
UNION ALL
-- unicast from a VM that leaves for a MAC that is no VM's
SELECT run_id, packet_id, t_ns, src_vm, dst_kind, v, 'external'::npa_endpoint, 'deliver', 'external'
FROM _sw_unicast_reach WHERE to_external;

-- Internal: what the trace says happened, per (frame, endpoint).
CREATE OR REPLACE VIEW _sw_observed AS
SELECT run_id, packet_id, dst AS endpoint,
  bool_or(src_vm IS NULL) AS from_outside,
  count(*) FILTER (outcome = 'delivered') AS delivered,
  count(*) FILTER (outcome = 'lost') AS lost,
  count(*) FILTER (outcome = 'dropped') AS dropped
FROM packet_path
WHERE dst IS NOT NULL AND outcome IN ('delivered', 'lost', 'dropped')
GROUP BY ALL;

-- Internal: per frame, its time window and whether part of it was lost before any switching target was known.
CREATE OR REPLACE VIEW _sw_packet AS
SELECT run_id, packet_id, min(t_in) AS t_in, max(t_end) AS t_last,
  bool_or(outcome = 'lost' AND dst IS NULL) AS lost_unattributed,
  bool_or(outcome = 'delivered') AS any_delivered,
  bool_or(outcome = 'dropped') AS dropped,
  any_value(reason) FILTER (outcome = 'dropped') AS drop_reason
FROM packet_path
GROUP BY ALL;

-- Expected against observed, one row per (frame, endpoint) that either side names (for a frame that
-- must be dropped and reached nobody: one row with endpoint NULL). `verdict` is ok_delivered,
-- ok_lost (a legitimate loss accounts for it), ok_dropped, or a violation kind (misdelivered,
-- missing, duplicated, vlan_leak, spoof_passed), or in_transition: it would be a violation, but the
-- frame's path [frame_in, last end] overlaps a configuration change or mode switch of the sender or
-- of that endpoint, when the rules of one instant do not apply. @materialize
CREATE OR REPLACE VIEW switching_check (
  -- Run.
  run_id,
  -- Input frame.
  packet_id,
  -- frame_in time, ns.
  t_ns,
  -- Sending VM; NULL for frames from outside.
  src_vm,
  -- unicast, multicast or broadcast.
  dst_kind,
  -- Effective VLAN (switching_expected.vlan).
  vlan,
  -- The VM or 'external' the row is about; NULL for a frame that had to be dropped.
  endpoint,
  -- switching_expected.rule when expected; NULL when not expected.
  rule,
  -- Copies delivered to the endpoint.
  delivered,
  -- Copies lost on the way to the endpoint (or lost before any switching decision, which counts for every endpoint).
  lost,
  -- How the frame was dropped when it was (drop reason), else NULL.
  drop_reason,
  -- ok_delivered, ok_lost, ok_dropped, misdelivered, missing, duplicated, vlan_leak, spoof_passed or in_transition.
  verdict
) AS
WITH exp AS (
  SELECT * FROM switching_expected WHERE expect = 'deliver'
),
drop_frames AS (
  SELECT * FROM switching_expected WHERE expect = 'drop'
),
obs AS (
  SELECT * FROM _sw_observed
  WHERE NOT (from_outside AND endpoint = 'external'::npa_endpoint) -- outside endpoints count for VM-sourced frames only
),
pairs AS (
  SELECT coalesce(e.run_id, o.run_id) AS run_id, coalesce(e.packet_id, o.packet_id) AS packet_id,
    coalesce(e.endpoint, o.endpoint) AS endpoint, e.rule,
    coalesce(o.delivered, 0) AS delivered, coalesce(o.lost, 0) AS lost_known
  FROM exp e FULL OUTER JOIN obs o ON o.run_id = e.run_id AND o.packet_id = e.packet_id AND o.endpoint = e.endpoint
  UNION ALL
  SELECT run_id, packet_id, NULL, rule, 0, 0 FROM drop_frames
),
cls AS (
  SELECT p.*, f.t_ns, f.src_vm, f.dst_kind, f.v, f.expect_drop, k.t_in, k.t_last, k.lost_unattributed, k.drop_reason, k.any_delivered,
    x.pvid, x.vlan_list, x.vm AS x_vm
  FROM pairs p
  JOIN _sw_frame f ON f.run_id = p.run_id AND f.packet_id = p.packet_id
  LEFT JOIN _sw_packet k ON k.run_id = p.run_id AND k.packet_id = p.packet_id
  LEFT JOIN _cfg x ON x.run_id = p.run_id AND x.vm = p.endpoint AND f.t_ns >= x.t_from AND f.t_ns < x.t_to
),
v AS (
  SELECT *,
    CASE
      WHEN expect_drop IS NOT NULL AND endpoint IS NULL THEN 'ok_dropped'
      WHEN expect_drop IS NOT NULL AND delivered > 0 THEN (CASE WHEN expect_drop LIKE 'anti_spoof%' THEN 'spoof_passed' ELSE 'misdelivered' END)
      WHEN expect_drop IS NOT NULL THEN 'ok_dropped' -- a copy toward it was lost: still nothing delivered
      WHEN rule IS NOT NULL AND delivered = 1 THEN 'ok_delivered'
      WHEN rule IS NOT NULL AND delivered > 1 THEN 'duplicated'
      WHEN rule IS NOT NULL AND (lost_known > 0 OR lost_unattributed) THEN 'ok_lost'
      WHEN rule IS NOT NULL THEN 'missing'
      WHEN endpoint <> 'external'::npa_endpoint AND x_vm IS NOT NULL AND NOT _is_member(pvid, vlan_list, v) THEN 'vlan_leak'
      ELSE 'misdelivered'
    END AS verdict0
  FROM cls
  WHERE NOT (expect_drop IS NOT NULL AND endpoint IS NOT NULL AND delivered = 0)
    AND NOT (expect_drop IS NOT NULL AND endpoint IS NULL AND coalesce(any_delivered, false))
)
SELECT run_id, packet_id, t_ns, src_vm, dst_kind, v, endpoint, rule, delivered,
  lost_known + (CASE WHEN lost_unattributed THEN 1 ELSE 0 END), drop_reason, verdict0
FROM v WHERE verdict0 LIKE 'ok_%'
UNION ALL
-- only would-be violations (few) are checked against the transition windows
SELECT run_id, packet_id, t_ns, src_vm, dst_kind, v, endpoint, rule, delivered,
  lost_known + (CASE WHEN lost_unattributed THEN 1 ELSE 0 END), drop_reason,
  CASE
    WHEN EXISTS (
      SELECT 1 FROM _vm_transition t
      WHERE t.run_id = v.run_id AND (t.vm = v.src_vm OR t.vm = v.endpoint)
        AND t.t_from <= coalesce(v.t_last, v.t_ns) AND t.t_to >= coalesce(v.t_in, v.t_ns)
    ) THEN 'in_transition'
    ELSE verdict0
  END
FROM v WHERE verdict0 NOT LIKE 'ok_%';

-- Switching violations by kind: frames the oracle says went wrong (legitimate losses and frames in
-- transition excluded), with examples to look at in packet_path or events. @materialize
CREATE OR REPLACE VIEW switching_violations (
  -- Run.
  run_id,
  -- misdelivered (delivered to a VM or outside where the rules send nothing), missing (expected, neither delivered nor legitimately lost), duplicated (delivered more than once), vlan_leak (delivered to a VM that is not a member of the frame's VLAN), spoof_passed (anti-spoofing should have dropped it).
  kind,
  -- (frame, endpoint) pairs of this kind.
  count,
  -- Distinct frames among them.
  frames,
  -- Endpoints involved (VMs or 'external').
  endpoints,
  -- Up to 5 example packet ids (smallest first).
  example_packet_ids
) AS
SELECT run_id, verdict, count(*), count(DISTINCT packet_id),
  list(DISTINCT endpoint::VARCHAR ORDER BY endpoint::VARCHAR) FILTER (endpoint IS NOT NULL),
  (list(DISTINCT packet_id ORDER BY packet_id))[1:5]
FROM switching_check
WHERE verdict IN ('misdelivered', 'missing', 'duplicated', 'vlan_leak', 'spoof_passed')
GROUP BY run_id, verdict;
