/**
 * Derivation on every capture of ../shared/captures/{pcap,pcapng,nonether}: Ethernet captures give the
 * busiest unicast sources of the oracle's per-source counts (tshark's, top 20); the others are refused.
 * Skips with a message when ../shared is absent.
 */
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {deriveScenario} from '../../src/scenario/derive.js'
import {isGroupMac, parseMacText} from '../../src/scenario/schema.js'
import {UserError} from '../../src/errors.js'

const shared = new URL('../../../shared/', import.meta.url)
const captures = new URL('captures/', shared)
const test = suite('scenario/corpus')

interface OracleEntry {
  linktype: number | number[]
  frames: number
  error: string | null
  ethernet_frames: number
  per_src_mac_frame_counts: Record<string, number>
}

if (!existsSync(fileURLToPath(new URL('oracle.json', captures)))) {
  test('shared captures', () => console.log(`  (skipped: ${fileURLToPath(captures)} absent)`))
} else {
  const oracle = JSON.parse(readFileSync(new URL('oracle.json', captures), 'utf8')) as Record<string, OracleEntry>
  const keys = Object.keys(oracle).filter((k) => /^(pcap|pcapng|nonether)\//.test(k) && oracle[k].error === null)
  test('the oracle lists captures', () => assert.ok(keys.length > 20, `${keys.length} captures`))
  for (const key of keys) {
    test(key, () => {
      const o = oracle[key]
      const file = fileURLToPath(new URL(key, captures))
      if (o.ethernet_frames === 0 && o.frames > 0) {
        assert.throws(() => deriveScenario(file), (e: Error) => e instanceof UserError && /not an Ethernet capture \(linktype \d+\)/.test(e.message))
        return
      }
      if (o.frames === 0) {
        // no packets: an empty scenario, or the reader's own one-line error (it follows libpcap, which
        // rejects a pcapng without an IDB even when tshark reads it as empty)
        try {
          assert.equal(deriveScenario(file).vms, [])
        } catch (error) {
          assert.instance(error, UserError)
        }
        return
      }
      const s = deriveScenario(file)
      const listed = Object.entries(o.per_src_mac_frame_counts).map(([m, n]) => [parseMacText(m), n] as const)
      const unicast = listed.filter(([m]) => m > 0 && !isGroupMac(m)).sort((a, b) => b[1] - a[1] || a[0] - b[0])
      const top = unicast.slice(0, 8)
      // the oracle keeps 20 sources: if it was cut and the last pick ties with the cut, other MACs could tie too
      const cut = listed.length === 20 ? Math.min(...listed.map(([, n]) => n)) : -1
      if (top.length === 8 && top[7][1] <= cut) return
      assert.equal(s.vms.map((v) => v.mac), top.map(([m]) => m).sort((a, b) => a - b), 'VM MACs')
      assert.is(s.hosts[0].vfs, 8)
    })
  }
}

test.run()
