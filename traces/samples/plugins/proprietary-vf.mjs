// A plugin the shell must refuse: its licence is not GPL-compatible (the RFC requires IHV plugins under
// GPL). Replaying with it leaves the VM in emulated mode with a plugin_reject event, reason "licence":
//   npa-trace replay traces/samples/sample.pcapng --plugin-path traces/samples/plugins/proprietary-vf.mjs --plugin vm1=blob-vf@1.0.0
import myVf from './my-vf.mjs'

export default {
  manifest: {...myVf.manifest, name: 'blob-vf', version: '1.0.0', vendor: 'Closed Inc', licence: 'Proprietary'},
  create: myVf.create,
}
