/**
 * Simulated time is integer nanoseconds held in doubles. V8 stores a small integer field as a Smi
 * (31/32-bit) and re-shapes the object the first time the field holds a larger number, which
 * deoptimises every function that inlined a load of it: one wave of deopts and recompiles of the whole
 * hot path when a run passes 2^31 ns (2.1 s of simulated time). A field that holds a time therefore
 * starts as this double zero (-0: equal to 0 in every comparison and integer conversion, never a Smi),
 * so it is a double field from the start.
 */
export const NS_ZERO = -0
