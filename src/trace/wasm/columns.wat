;; Column kernels for the trace writer (src/trace/writer.ts), over a shared memory that holds both the
;; event slots and the writer's output buffers. Pointers are byte offsets; n is a row count.
;;
;; Validity (v8/v16/v32): a value that is all ones in its width is the null sentinel. For each row set
;; bit (row & 7) of byte bm[row >> 3] when the value is valid, clear it when null, zero the null value in
;; place, and return the null count. 16 rows per step with SIMD compares and one bitmask; the ragged tail
;; (n mod 16 rows) a row at a time. Bytes of bm past the last row's byte are not touched.
;;
;; i64/i64n: float64 integers to little-endian int64 (i64n: -1 is null: written 0, bit cleared).
;;
;; tally: counts per event code and per drop reason (32-bit, 256 each) and cpu_ns per side (float64, exact
;; below 2^53; 4 lanes: side & 3, so a null side lands in lane 3) of rows 0..n-1, added to what they hold.
;;
;; u8x4/u16x2: unpack words that carry four 8-bit or two 16-bit values per row (least significant first)
;; into one array per lane (the event slots' packed columns, src/trace/event-slots.ts); u16x2to8 the same
;; into byte arrays (saturating narrow: the values fit 8 bits; -1 stays -1).
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; The ragged tail of a validity scan: rows from..n-1 (from a multiple of 16), width 1, 2 or 4 bytes.
  ;; Returns the nulls among them. Clears the tail's bitmap bytes first, then sets the valid bits.
  (func $tail (param $src i32) (param $bm i32) (param $from i32) (param $n i32) (param $width i32) (result i32)
    (local $i i32) (local $p i32) (local $x i32) (local $ok i32) (local $nulls i32) (local $b i32)
    ;; clear bm bytes (from >> 3) .. ((n + 7) >> 3) - 1
    (local.set $b (i32.shr_u (local.get $from) (i32.const 3)))
    (block $c (loop $cl
      (br_if $c (i32.ge_u (local.get $b) (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3))))
      (i32.store8 (i32.add (local.get $bm) (local.get $b)) (i32.const 0))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $cl)))
    (local.set $i (local.get $from))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $width))))
      (if (i32.eq (local.get $width) (i32.const 1))
        (then
          (local.set $ok (i32.ne (i32.load8_u (local.get $p)) (i32.const 0xff)))
          (if (i32.eqz (local.get $ok)) (then (i32.store8 (local.get $p) (i32.const 0)))))
        (else (if (i32.eq (local.get $width) (i32.const 2))
          (then
            (local.set $ok (i32.ne (i32.load16_u (local.get $p)) (i32.const 0xffff)))
            (if (i32.eqz (local.get $ok)) (then (i32.store16 (local.get $p) (i32.const 0)))))
          (else
            (local.set $ok (i32.ne (i32.load (local.get $p)) (i32.const -1)))
            (if (i32.eqz (local.get $ok)) (then (i32.store (local.get $p) (i32.const 0))))))))
      (local.set $x (i32.add (local.get $bm) (i32.shr_u (local.get $i) (i32.const 3))))
      (i32.store8 (local.get $x)
        (i32.or (i32.load8_u (local.get $x)) (i32.shl (local.get $ok) (i32.and (local.get $i) (i32.const 7)))))
      (local.set $nulls (i32.add (local.get $nulls) (i32.eqz (local.get $ok))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $row)))
    (local.get $nulls))

  ;; 8-bit values (sentinel 0xff).
  (func (export "v8") (param $src i32) (param $bm i32) (param $n i32) (result i32)
    (local $i i32) (local $full i32) (local $v v128) (local $e v128) (local $m i32) (local $nulls i32)
    (local.set $full (i32.and (local.get $n) (i32.const -16)))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $i) (local.get $full)))
      (local.set $v (v128.load align=1 (i32.add (local.get $src) (local.get $i))))
      (local.set $e (i8x16.eq (local.get $v) (v128.const i32x4 -1 -1 -1 -1)))
      (v128.store align=1 (i32.add (local.get $src) (local.get $i)) (v128.andnot (local.get $v) (local.get $e)))
      (local.set $m (i8x16.bitmask (local.get $e)))
      (local.set $nulls (i32.add (local.get $nulls) (i32.popcnt (local.get $m))))
      (i32.store16 align=1 (i32.add (local.get $bm) (i32.shr_u (local.get $i) (i32.const 3))) (i32.xor (local.get $m) (i32.const 0xffff)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $step)))
    (i32.add (local.get $nulls) (call $tail (local.get $src) (local.get $bm) (local.get $full) (local.get $n) (i32.const 1))))

  ;; 16-bit values (sentinel 0xffff).
  (func (export "v16") (param $src i32) (param $bm i32) (param $n i32) (result i32)
    (local $i i32) (local $full i32) (local $p i32) (local $v0 v128) (local $v1 v128) (local $e0 v128) (local $e1 v128)
    (local $m i32) (local $nulls i32)
    (local.set $full (i32.and (local.get $n) (i32.const -16)))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $i) (local.get $full)))
      (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1))))
      (local.set $v0 (v128.load align=1 (local.get $p)))
      (local.set $v1 (v128.load offset=16 align=1 (local.get $p)))
      (local.set $e0 (i16x8.eq (local.get $v0) (v128.const i32x4 -1 -1 -1 -1)))
      (local.set $e1 (i16x8.eq (local.get $v1) (v128.const i32x4 -1 -1 -1 -1)))
      (v128.store align=1 (local.get $p) (v128.andnot (local.get $v0) (local.get $e0)))
      (v128.store offset=16 align=1 (local.get $p) (v128.andnot (local.get $v1) (local.get $e1)))
      (local.set $m (i8x16.bitmask (i8x16.narrow_i16x8_s (local.get $e0) (local.get $e1))))
      (local.set $nulls (i32.add (local.get $nulls) (i32.popcnt (local.get $m))))
      (i32.store16 align=1 (i32.add (local.get $bm) (i32.shr_u (local.get $i) (i32.const 3))) (i32.xor (local.get $m) (i32.const 0xffff)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $step)))
    (i32.add (local.get $nulls) (call $tail (local.get $src) (local.get $bm) (local.get $full) (local.get $n) (i32.const 2))))

  ;; 32-bit values (sentinel -1 / 0xffffffff).
  (func (export "v32") (param $src i32) (param $bm i32) (param $n i32) (result i32)
    (local $i i32) (local $full i32) (local $p i32) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128) (local $m i32) (local $nulls i32)
    (local.set $full (i32.and (local.get $n) (i32.const -16)))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $i) (local.get $full)))
      (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $v0 (v128.load align=1 (local.get $p)))
      (local.set $v1 (v128.load offset=16 align=1 (local.get $p)))
      (local.set $v2 (v128.load offset=32 align=1 (local.get $p)))
      (local.set $v3 (v128.load offset=48 align=1 (local.get $p)))
      (local.set $e0 (i32x4.eq (local.get $v0) (v128.const i32x4 -1 -1 -1 -1)))
      (local.set $e1 (i32x4.eq (local.get $v1) (v128.const i32x4 -1 -1 -1 -1)))
      (local.set $e2 (i32x4.eq (local.get $v2) (v128.const i32x4 -1 -1 -1 -1)))
      (local.set $e3 (i32x4.eq (local.get $v3) (v128.const i32x4 -1 -1 -1 -1)))
      (v128.store align=1 (local.get $p) (v128.andnot (local.get $v0) (local.get $e0)))
      (v128.store offset=16 align=1 (local.get $p) (v128.andnot (local.get $v1) (local.get $e1)))
      (v128.store offset=32 align=1 (local.get $p) (v128.andnot (local.get $v2) (local.get $e2)))
      (v128.store offset=48 align=1 (local.get $p) (v128.andnot (local.get $v3) (local.get $e3)))
      (local.set $m (i8x16.bitmask (i8x16.narrow_i16x8_s
        (i16x8.narrow_i32x4_s (local.get $e0) (local.get $e1))
        (i16x8.narrow_i32x4_s (local.get $e2) (local.get $e3)))))
      (local.set $nulls (i32.add (local.get $nulls) (i32.popcnt (local.get $m))))
      (i32.store16 align=1 (i32.add (local.get $bm) (i32.shr_u (local.get $i) (i32.const 3))) (i32.xor (local.get $m) (i32.const 0xffff)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $step)))
    (i32.add (local.get $nulls) (call $tail (local.get $src) (local.get $bm) (local.get $full) (local.get $n) (i32.const 4))))

  ;; float64 integers → int64, two at a time: for |x| < 2^51, x + 1.5·2^52 lies in [2^52, 2^53) where the
  ;; float's bits grow by one per unit, so its bits minus those of 1.5·2^52 are x as an int64 (for the
  ;; integers the columns hold; a fraction would round to nearest). A pair out of that range (never, for
  ;; nanoseconds under 26 days) takes i64.trunc_sat_f64_s per value. Written out in both loops below: V8
  ;; does not inline a call to a helper, which cost more than the conversion.

  ;; float64 integers → int64 (not nullable).
  (func (export "i64") (param $src i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $pairs i32) (local $v v128)
    (local.set $pairs (i32.and (local.get $n) (i32.const -2)))
    (block $done (loop $pair
      (br_if $done (i32.ge_u (local.get $i) (local.get $pairs)))
      (local.set $v (v128.load align=1 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))))
      (v128.store align=1 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
        (if (result v128) (i64x2.all_true (f64x2.lt (f64x2.abs (local.get $v)) (v128.const f64x2 0x1p51 0x1p51)))
          (then (i64x2.sub (f64x2.add (local.get $v) (v128.const f64x2 0x1.8p52 0x1.8p52)) (v128.const f64x2 0x1.8p52 0x1.8p52)))
          (else (i64x2.replace_lane 1
            (i64x2.splat (i64.trunc_sat_f64_s (f64x2.extract_lane 0 (local.get $v))))
            (i64.trunc_sat_f64_s (f64x2.extract_lane 1 (local.get $v)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $pair)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then (i64.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
        (i64.trunc_sat_f64_s (f64.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))))))))

  ;; float64 integers → int64 with validity: -1 is null (written as 0, bit cleared). Returns the null count.
  ;; Writes bm bytes 0 .. ((n + 7) >> 3) - 1.
  (func (export "i64n") (param $src i32) (param $dst i32) (param $bm i32) (param $n i32) (result i32)
    (local $i i32) (local $pairs i32) (local $v v128) (local $ok v128) (local $m i32) (local $bits i32) (local $valid i32)
    (local $x f64) (local $o i32)
    (local.set $pairs (i32.and (local.get $n) (i32.const -2)))
    (block $done (loop $pair
      (br_if $done (i32.ge_u (local.get $i) (local.get $pairs)))
      (local.set $v (v128.load align=1 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $ok (f64x2.ne (local.get $v) (v128.const f64x2 -1 -1)))
      (v128.store align=1 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
        (v128.and (local.get $ok)
          (if (result v128) (i64x2.all_true (f64x2.lt (f64x2.abs (local.get $v)) (v128.const f64x2 0x1p51 0x1p51)))
            (then (i64x2.sub (f64x2.add (local.get $v) (v128.const f64x2 0x1.8p52 0x1.8p52)) (v128.const f64x2 0x1.8p52 0x1.8p52)))
            (else (i64x2.replace_lane 1
              (i64x2.splat (i64.trunc_sat_f64_s (f64x2.extract_lane 0 (local.get $v))))
              (i64.trunc_sat_f64_s (f64x2.extract_lane 1 (local.get $v))))))))
      (local.set $m (i64x2.bitmask (local.get $ok)))
      (local.set $valid (i32.add (local.get $valid) (i32.popcnt (local.get $m))))
      (local.set $bits (i32.or (local.get $bits) (i32.shl (local.get $m) (i32.and (local.get $i) (i32.const 7)))))
      (if (i32.eq (i32.and (local.get $i) (i32.const 7)) (i32.const 6))
        (then
          (i32.store8 (i32.add (local.get $bm) (i32.shr_u (local.get $i) (i32.const 3))) (local.get $bits))
          (local.set $bits (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $pair)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $x (f64.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $o (f64.ne (local.get $x) (f64.const -1)))
        (i64.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
          (select (i64.trunc_sat_f64_s (local.get $x)) (i64.const 0) (local.get $o)))
        (local.set $valid (i32.add (local.get $valid) (local.get $o)))
        (local.set $bits (i32.or (local.get $bits) (i32.shl (local.get $o) (i32.and (local.get $i) (i32.const 7)))))))
    (if (i32.and (local.get $n) (i32.const 7))
      (then (i32.store8 (i32.add (local.get $bm) (i32.shr_u (local.get $n) (i32.const 3))) (local.get $bits))))
    (i32.sub (local.get $n) (local.get $valid)))

  ;; Four bytes per 32-bit word → four byte arrays, 16 rows per step: each word group is byte-transposed
  ;; within its register (lane j of the result holds byte j of four rows), then the four registers are
  ;; transposed as 4×4 matrices of 32-bit lanes.
  (func (export "u8x4") (param $src i32) (param $d0 i32) (param $d1 i32) (param $d2 i32) (param $d3 i32) (param $n i32)
    (local $i i32) (local $full i32) (local $p i32) (local $w i32)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $full (i32.and (local.get $n) (i32.const -16)))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $i) (local.get $full)))
      (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $t0 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (v128.load align=1 (local.get $p)) (v128.load align=1 (local.get $p))))
      (local.set $t1 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (v128.load offset=16 align=1 (local.get $p)) (v128.load offset=16 align=1 (local.get $p))))
      (local.set $t2 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (v128.load offset=32 align=1 (local.get $p)) (v128.load offset=32 align=1 (local.get $p))))
      (local.set $t3 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (v128.load offset=48 align=1 (local.get $p)) (v128.load offset=48 align=1 (local.get $p))))
      ;; a = [t0.0 t1.0 t0.1 t1.1], b = [t0.2 t1.2 t0.3 t1.3], c/d the same of t2, t3 (32-bit lanes)
      (local.set $a (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $t0) (local.get $t1)))
      (local.set $b (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $t0) (local.get $t1)))
      (local.set $c (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $t2) (local.get $t3)))
      (local.set $d (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $t2) (local.get $t3)))
      (v128.store align=1 (i32.add (local.get $d0) (local.get $i))
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $c)))
      (v128.store align=1 (i32.add (local.get $d1) (local.get $i))
        (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $c)))
      (v128.store align=1 (i32.add (local.get $d2) (local.get $i))
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $b) (local.get $d)))
      (v128.store align=1 (i32.add (local.get $d3) (local.get $i))
        (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $b) (local.get $d)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $step)))
    (block $tdone (loop $row
      (br_if $tdone (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $w (i32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))
      (i32.store8 (i32.add (local.get $d0) (local.get $i)) (local.get $w))
      (i32.store8 (i32.add (local.get $d1) (local.get $i)) (i32.shr_u (local.get $w) (i32.const 8)))
      (i32.store8 (i32.add (local.get $d2) (local.get $i)) (i32.shr_u (local.get $w) (i32.const 16)))
      (i32.store8 (i32.add (local.get $d3) (local.get $i)) (i32.shr_u (local.get $w) (i32.const 24)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $row))))

  ;; Two 16-bit halves per 32-bit word → two 16-bit arrays, 8 rows per step.
  (func (export "u16x2") (param $src i32) (param $d0 i32) (param $d1 i32) (param $n i32)
    (local $i i32) (local $full i32) (local $p i32) (local $w i32) (local $v0 v128) (local $v1 v128)
    (local.set $full (i32.and (local.get $n) (i32.const -8)))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $i) (local.get $full)))
      (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $v0 (v128.load align=1 (local.get $p)))
      (local.set $v1 (v128.load offset=16 align=1 (local.get $p)))
      (v128.store align=1 (i32.add (local.get $d0) (i32.shl (local.get $i) (i32.const 1)))
        (i8x16.shuffle 0 1 4 5 8 9 12 13 16 17 20 21 24 25 28 29 (local.get $v0) (local.get $v1)))
      (v128.store align=1 (i32.add (local.get $d1) (i32.shl (local.get $i) (i32.const 1)))
        (i8x16.shuffle 2 3 6 7 10 11 14 15 18 19 22 23 26 27 30 31 (local.get $v0) (local.get $v1)))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $step)))
    (block $tdone (loop $row
      (br_if $tdone (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $w (i32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))
      (i32.store16 (i32.add (local.get $d0) (i32.shl (local.get $i) (i32.const 1))) (local.get $w))
      (i32.store16 (i32.add (local.get $d1) (i32.shl (local.get $i) (i32.const 1))) (i32.shr_u (local.get $w) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $row))))

  ;; Event codes, reasons and sides are bytes (reason 0xff: null); cpu_ns is 32-bit unsigned.
  (func (export "tally") (param $ev i32) (param $reason i32) (param $side i32) (param $cpu i32) (param $n i32)
    (param $drop i32) (param $counts i32) (param $drops i32) (param $sides i32)
    (local $i i32) (local $e i32) (local $p i32) (local $r i32)
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $e (i32.load8_u (i32.add (local.get $ev) (local.get $i))))
      (local.set $p (i32.add (local.get $counts) (i32.shl (local.get $e) (i32.const 2))))
      (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
      (if (i32.eq (local.get $e) (local.get $drop))
        (then
          (local.set $r (i32.load8_u (i32.add (local.get $reason) (local.get $i))))
          (if (i32.ne (local.get $r) (i32.const 0xff))
            (then
              (local.set $p (i32.add (local.get $drops) (i32.shl (local.get $r) (i32.const 2))))
              (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))))))
      (local.set $p (i32.add (local.get $sides)
        (i32.shl (i32.and (i32.load8_u (i32.add (local.get $side) (local.get $i))) (i32.const 3)) (i32.const 3))))
      (f64.store (local.get $p) (f64.add (f64.load (local.get $p))
        (f64.convert_i32_u (i32.load (i32.add (local.get $cpu) (i32.shl (local.get $i) (i32.const 2)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $row))))

  ;; Two 16-bit halves per 32-bit word → two byte arrays (signed saturating narrow), 16 rows per step.
  (func (export "u16x2to8") (param $src i32) (param $d0 i32) (param $d1 i32) (param $n i32)
    (local $i i32) (local $full i32) (local $p i32) (local $w i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local.set $full (i32.and (local.get $n) (i32.const -16)))
    (block $done (loop $step
      (br_if $done (i32.ge_u (local.get $i) (local.get $full)))
      (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
      (local.set $v0 (v128.load align=1 (local.get $p)))
      (local.set $v1 (v128.load offset=16 align=1 (local.get $p)))
      (local.set $v2 (v128.load offset=32 align=1 (local.get $p)))
      (local.set $v3 (v128.load offset=48 align=1 (local.get $p)))
      (v128.store align=1 (i32.add (local.get $d0) (local.get $i))
        (i8x16.narrow_i16x8_s
          (i8x16.shuffle 0 1 4 5 8 9 12 13 16 17 20 21 24 25 28 29 (local.get $v0) (local.get $v1))
          (i8x16.shuffle 0 1 4 5 8 9 12 13 16 17 20 21 24 25 28 29 (local.get $v2) (local.get $v3))))
      (v128.store align=1 (i32.add (local.get $d1) (local.get $i))
        (i8x16.narrow_i16x8_s
          (i8x16.shuffle 2 3 6 7 10 11 14 15 18 19 22 23 26 27 30 31 (local.get $v0) (local.get $v1))
          (i8x16.shuffle 2 3 6 7 10 11 14 15 18 19 22 23 26 27 30 31 (local.get $v2) (local.get $v3))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $step)))
    (block $tdone (loop $row
      (br_if $tdone (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $w (i32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))))
      (i32.store8 (i32.add (local.get $d0) (local.get $i)) (local.get $w))
      (i32.store8 (i32.add (local.get $d1) (local.get $i)) (i32.shr_u (local.get $w) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $row))))
)
