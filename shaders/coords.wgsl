// Coordinates of an element over a shape of RANK dims (innermost last), for kernels that read
// operands through per-dim strides. Prepended by the host after the Params struct, whose
// `shape` (u32x8) holds the dims; the kernel declares RANK (a const or an override: either way
// a constant when the pipeline is built, so the loops below unroll and the digits stay in
// registers).
//
// An invocation splits its first element into coordinates once, then steps them by its stride
// with carries. A u32 division per dim per element is scalar code on CPU-emulated adapters
// (lavapipe runs 8 lanes per SIMD op but has no SIMD integer divide): it was most of a strided
// kernel's time (GPT bench step on lavapipe, each dispatch replayed alone: the generated chains
// 170 -> 83 ms in all, bench/experiments/kernel-times.ts).
alias Coords = array<u32, 8>;

fn size_of(d: u32) -> u32 { return P.shape[d >> 2u][d & 3u]; }

// Element e's coordinates (the outermost one unbounded: e may lie past the last element).
fn coords(e: u32) -> Coords {
  var c: Coords;
  var rest = e;
  for (var d = RANK - 1u; d > 0u; d--) {
    c[d] = rest % size_of(d);
    rest = rest / size_of(d);
  }
  c[0] = rest;
  return c;
}

// c + step, both coordinates (step's from coords()): every digit is below its dim's size, so
// each sum is below twice it and one subtraction carries.
fn advance(c: Coords, step: Coords) -> Coords {
  var r: Coords;
  var carry = 0u;
  for (var d = RANK - 1u; d > 0u; d--) {
    let v = c[d] + step[d] + carry;
    carry = select(0u, 1u, v >= size_of(d));
    r[d] = v - carry * size_of(d);
  }
  r[0] = c[0] + step[0] + carry;
  return r;
}

// Where the element at `c` reads an input laid out with `strides` over the output shape.
fn offset(c: Coords, strides: array<vec4<u32>, 2>) -> u32 {
  var o = 0u;
  for (var d = 0u; d < RANK; d++) { o += c[d] * strides[d >> 2u][d & 3u]; }
  return o;
}


// The same with signed strides (views may step backwards), from a signed base offset.
fn offset_i(base: i32, c: Coords, strides: array<vec4<i32>, 2>) -> i32 {
  var o = base;
  for (var d = 0u; d < RANK; d++) { o += i32(c[d]) * strides[d >> 2u][d & 3u]; }
  return o;
}
