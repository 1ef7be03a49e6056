/** The event kernel: the pending-event queue and seeded random streams (see queue.ts, rng.ts). */
export {EventQueue, MAX_PRIORITY} from './queue.js'
export {Rng, type Seed} from './rng.js'
