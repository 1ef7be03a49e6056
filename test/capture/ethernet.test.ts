import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {BROADCAST_MAC, LINKTYPE_ETHERNET, decodeL2, decodeL2At, macToString, newL2Info, parseMac, type L2Info} from '../../src/capture/ethernet.js'
import {UserError} from '../../src/errors.js'
import {ethFrame} from '../helpers/capture-bytes.js'

const t = suite('capture/ethernet')

function decode(bytes: Uint8Array): L2Info {
  const out = newL2Info()
  decodeL2(bytes, out)
  return out
}

t('untagged unicast IPv4: MACs, ethertype, header length', () => {
  const l2 = decode(ethFrame({dst: '00:1b:21:3c:4d:5e', src: '02:00:00:00:00:0a', ethertype: 0x0800}))
  assert.equal(l2, {
    dst: 0x001b213c4d5e, src: 0x02000000000a, tags: 0, outerVid: -1, outerPcp: 0, outerTpid: 0, innerVid: -1, innerPcp: 0,
    ethertype: 0x0800, isBroadcast: false, isMulticast: false, headerLen: 14, ok: true,
  })
  assert.is(LINKTYPE_ETHERNET, 1)
})

t('broadcast is not multicast; group-bit destinations are multicast', () => {
  const b = decode(ethFrame({dst: 'ff:ff:ff:ff:ff:ff', ethertype: 0x0806}))
  assert.is(b.dst, BROADCAST_MAC)
  assert.is(b.isBroadcast, true)
  assert.is(b.isMulticast, false)
  for (const dst of ['01:00:5e:00:00:fb', '33:33:00:00:00:01', '01:80:c2:00:00:00', 'ff:ff:ff:ff:ff:fe']) {
    const m = decode(ethFrame({dst}))
    assert.is(m.isMulticast, true, dst)
    assert.is(m.isBroadcast, false, dst)
  }
  const u = decode(ethFrame({dst: 'fe:ff:ff:ff:ff:ff'})) // group bit is bit 0 of the first octet
  assert.is(u.isMulticast, false)
})

t('802.1Q tag: VID, PCP, TPID; ethertype after the tag', () => {
  const l2 = decode(ethFrame({tags: [{vid: 1213, pcp: 5}], ethertype: 0x86dd}))
  assert.equal([l2.tags, l2.outerTpid, l2.outerVid, l2.outerPcp, l2.innerVid, l2.ethertype, l2.headerLen], [1, 0x8100, 1213, 5, -1, 0x86dd, 18])
})

t('802.1ad QinQ: outer S-tag and inner C-tag', () => {
  const l2 = decode(ethFrame({tags: [{tpid: 0x88a8, vid: 200, pcp: 3}, {tpid: 0x8100, vid: 2001, pcp: 7}], ethertype: 0x0806}))
  assert.equal([l2.tags, l2.outerTpid, l2.outerVid, l2.outerPcp, l2.innerVid, l2.innerPcp, l2.ethertype, l2.headerLen], [2, 0x88a8, 200, 3, 2001, 7, 0x0806, 22])
})

t('old QinQ TPIDs 0x9100 / 0x9200 and a third tag are counted', () => {
  const a = decode(ethFrame({tags: [{tpid: 0x9100, vid: 10}, {vid: 20}]}))
  assert.equal([a.tags, a.outerTpid, a.outerVid, a.innerVid], [2, 0x9100, 10, 20])
  const b = decode(ethFrame({tags: [{tpid: 0x9200, vid: 4095}]}))
  assert.equal([b.tags, b.outerTpid, b.outerVid], [1, 0x9200, 4095])
  const c = decode(ethFrame({tags: [{tpid: 0x88a8, vid: 1}, {vid: 2}, {vid: 3}], ethertype: 0x0800}))
  assert.equal([c.tags, c.outerVid, c.innerVid, c.ethertype, c.headerLen], [3, 1, 2, 0x0800, 26])
})

t('802.3 length field is reported as the ethertype (< 0x600)', () => {
  assert.is(decode(ethFrame({ethertype: 0x0026})).ethertype, 0x26)
})

t('frames shorter than 14 bytes: ok = false and fields reset', () => {
  const out = newL2Info()
  decodeL2(ethFrame({dst: 'ff:ff:ff:ff:ff:ff', tags: [{vid: 5}]}), out)
  assert.is(out.isBroadcast, true)
  assert.is(decodeL2(new Uint8Array(13), out), false)
  assert.equal(out, newL2Info())
  assert.is(decodeL2(new Uint8Array(0), out), false)
})

t('a tag cut off by the capture length ends the walk: the TPID is the ethertype', () => {
  const f = ethFrame({tags: [{vid: 100}], ethertype: 0x0800}).subarray(0, 16)
  const l2 = decode(f)
  assert.equal([l2.ok, l2.tags, l2.outerVid, l2.ethertype, l2.headerLen], [true, 0, -1, 0x8100, 14])
})

t('decodeL2At reads at an offset without a view', () => {
  const f = ethFrame({src: '00:00:5e:00:01:2a', tags: [{vid: 7}]})
  const buf = new Uint8Array(100 + f.length)
  buf.set(f, 100)
  const out = newL2Info()
  assert.ok(decodeL2At(buf, 100, f.length, out))
  assert.equal([out.src, out.outerVid], [0x00005e00012a, 7])
  assert.not.ok(decodeL2At(buf, 100, 10, out))
})

t('macToString / parseMac round trip, alternative spellings', () => {
  for (const s of ['00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', '02:00:00:00:00:01', '00:1b:21:3c:4d:5e', 'b0:99:28:c8:d6:46']) {
    assert.is(macToString(parseMac(s)), s)
  }
  assert.is(parseMac('02-00-00-00-00-01'), 0x020000000001)
  assert.is(parseMac('2:0:0:0:0:1'), 0x020000000001)
  assert.is(parseMac('  AA:BB:CC:DD:EE:FF '), 0xaabbccddeeff)
  assert.is(parseMac('aabb.ccdd.eeff'), 0xaabbccddeeff)
  assert.is(parseMac('aabbccddeeff'), 0xaabbccddeeff)
  assert.is(macToString(0xaabbccddeeff), 'aa:bb:cc:dd:ee:ff')
})

t('parseMac rejects bad input with a UserError', () => {
  for (const bad of ['', '00:11:22:33:44', '00:11:22:33:44:55:66', '00:11:22:33:44:gg', '001:11:22:33:44:55', 'hello']) {
    assert.throws(() => parseMac(bad), (e: unknown) => e instanceof UserError && e.message === `invalid MAC address "${bad}"`, bad)
  }
})

t.run()
