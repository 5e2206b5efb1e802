// AssemblyScript float64 elementary functions that return exactly the bits of JavaScript's
// Math.exp, Math.log, Math.log1p, Math.expm1 and Math.tanh in Node 20 (V8 11.3), so that a sigmoid,
// softmax or cross-entropy kernel in WebAssembly agrees bit for bit with the TypeScript reference.
//
// Why not AssemblyScript's own Math: its exp/log are ports of musl's table-driven code, which is
// correctly rounded far more often but therefore differs from V8 in the last bit on a fraction of
// inputs. V8 builds these five functions (src/base/ieee754.cc) from Sun's fdlibm (FreeBSD msun's
// e_exp.c, e_log.c, s_log1p.c, s_expm1.c, s_tanh.c) with two V8 touches that are copied here:
// exp(1) returns Math.E, and exp/expm1 scale by 2·2^1023 when the reduced exponent is 1024.
//
// The functions below follow those algorithms operation for operation: each line rounds exactly
// where fdlibm rounds, in the same order, with the same published coefficients (the hexadecimal
// bit patterns are given beside each decimal literal; the decimal forms have enough digits to
// round to those bits). WebAssembly never fuses a*b+c, and f64 arithmetic is IEEE round-to-nearest,
// so the results are the same as V8's compiled C on x86-64. Do not "simplify" an expression: any
// reassociation (even `a - (b - c)` into `a - b + c`) changes the last bit of some results.
// src/libm.test.ts compiles libm-check.ts (which wraps these) and compares them with Math.* on about
// a million inputs per function.
//
// expF64x2 and sigmoidF64x2 do the same on the two f64 lanes of a v128: each lane has the bits of
// expF64 (hence Math.exp) of that lane, and of `x >= 0 ? 1 / (1 + Math.exp(-x))
// : Math.exp(x) / (1 + Math.exp(x))`. f64x2 add/sub/mul/div round each lane exactly as the scalar
// operation does, so the vector path is expF64's common path written lane-wise in the same order;
// lanes that expF64 handles by another branch are either selected from a value computed for that
// branch too (|x| < 2^-28, x = 1, underflow to 0) or, when a lane needs a rarer one (NaN, ±∞ or
// large x, subnormal results, k = 1024), the pair goes through expF64 one lane at a time.
// logF64x2 is built the same way on logF64: every positive, finite, normal lane is computed on the
// vector path (all of logF64's branches for such x, selected per lane), anything else (≤ 0, NaN,
// +∞, subnormal) sends the pair through logF64 one lane at a time.
//
// Bit access: `hi(x)` is the upper 32 bits of the double (sign, 11 exponent bits, 20 mantissa bits)
// as a signed i32, as fdlibm's GET_HIGH_WORD gives it; most range tests compare that word only.

// ---------------------------------------------------------------------------------------------
// Word helpers

/** The upper 32 bits of `x` as a signed integer (sign bit set ⇒ negative). */
// @ts-ignore: decorator
@inline function hi(x: f64): i32 {
  return <i32>(reinterpret<u64>(x) >>> 32);
}

/** The lower 32 bits of `x`. */
// @ts-ignore: decorator
@inline function lo(x: f64): i32 {
  return <i32>reinterpret<u64>(x);
}

/** The double whose upper word is `h` and lower word is 0. */
// @ts-ignore: decorator
@inline function fromHi(h: i32): f64 {
  return reinterpret<f64>(<u64><u32>h << 32);
}

/** `x` with its upper word replaced by `h` (lower word kept). */
// @ts-ignore: decorator
@inline function withHi(x: f64, h: i32): f64 {
  return reinterpret<f64>((reinterpret<u64>(x) & 0xFFFFFFFF) | (<u64><u32>h << 32));
}

/** 2^k for -1022 <= k <= 1023, built from its exponent field. */
// @ts-ignore: decorator
@inline function twoTo(k: i32): f64 {
  return reinterpret<f64>(<u64>(k + 0x3FF) << 52);
}

// ---------------------------------------------------------------------------------------------
// Shared constants

// ln 2 split so that k·LN2_HI is exact for |k| < 2000 (LN2_HI has 32 trailing zero bits).
// @ts-ignore: decorator
@inline const LN2_HI: f64 = 6.93147180369123816490e-01; // 0x3FE62E42 FEE00000
// @ts-ignore: decorator
@inline const LN2_LO: f64 = 1.90821492927058770002e-10; // 0x3DEA39EF 35793C76
// @ts-ignore: decorator
@inline const INV_LN2: f64 = 1.44269504088896338700e+00; // 0x3FF71547 652B82FE
// @ts-ignore: decorator
@inline const TWO_54: f64 = 1.80143985094819840000e+16; // 0x43500000 00000000
// @ts-ignore: decorator
@inline const TWO_1023: f64 = 8.988465674311579539e307; // 0x7FE00000 00000000
// @ts-ignore: decorator
@inline const TWO_M1000: f64 = 9.33263618503218878990e-302; // 0x01700000 00000000
// Beyond these, exp overflows to +Infinity or underflows to +0.
// @ts-ignore: decorator
@inline const EXP_OVERFLOW: f64 = 7.09782712893383973096e+02; // 0x40862E42 FEFA39EF
// @ts-ignore: decorator
@inline const EXP_UNDERFLOW: f64 = -7.45133219101941108420e+02; // 0xC0874910 D52D3051

// Remez coefficients of exp's R(r²) = r·(e^r + 1)/(e^r − 1) ≈ 2 + P1·r² + … + P5·r¹⁰ on [0, ln2/2].
// @ts-ignore: decorator
@inline const P1: f64 = 1.66666666666666019037e-01; // 0x3FC55555 5555553E
// @ts-ignore: decorator
@inline const P2: f64 = -2.77777777770155933842e-03; // 0xBF66C16C 16BEBD93
// @ts-ignore: decorator
@inline const P3: f64 = 6.61375632143793436117e-05; // 0x3F11566A AF25DE2C
// @ts-ignore: decorator
@inline const P4: f64 = -1.65339022054652515390e-06; // 0xBEBBBD41 C5D26BF1
// @ts-ignore: decorator
@inline const P5: f64 = 4.13813679705723846039e-08; // 0x3E663769 72BEA4D0

// Remez coefficients of log's R(s) ≈ Lg1·s² + … + Lg7·s¹⁴ with s = f/(2+f), on [0, 0.1716]
// (log and log1p use the same ones).
// @ts-ignore: decorator
@inline const LG1: f64 = 6.666666666666735130e-01; // 0x3FE55555 55555593
// @ts-ignore: decorator
@inline const LG2: f64 = 3.999999999940941908e-01; // 0x3FD99999 9997FA04
// @ts-ignore: decorator
@inline const LG3: f64 = 2.857142874366239149e-01; // 0x3FD24924 94229359
// @ts-ignore: decorator
@inline const LG4: f64 = 2.222219843214978396e-01; // 0x3FCC71C5 1D8E78AF
// @ts-ignore: decorator
@inline const LG5: f64 = 1.818357216161805012e-01; // 0x3FC74664 96CB03DE
// @ts-ignore: decorator
@inline const LG6: f64 = 1.531383769920937332e-01; // 0x3FC39A09 D078C69F
// @ts-ignore: decorator
@inline const LG7: f64 = 1.479819860511658591e-01; // 0x3FC2F112 DF3E5244

// Remez coefficients of expm1's R1, pre-scaled by 2^n so that they take z = x²/2 instead of x².
// @ts-ignore: decorator
@inline const Q1: f64 = -3.33333333333331316428e-02; // 0xBFA11111 111110F4
// @ts-ignore: decorator
@inline const Q2: f64 = 1.58730158725481460165e-03; // 0x3F5A01A0 19FE5585
// @ts-ignore: decorator
@inline const Q3: f64 = -7.93650757867487942473e-05; // 0xBF14CE19 9EAADBB7
// @ts-ignore: decorator
@inline const Q4: f64 = 4.00821782732936239552e-06; // 0x3ED0CFCA 86E65239
// @ts-ignore: decorator
@inline const Q5: f64 = -2.01099218183624371326e-07; // 0xBE8AFDB7 6E09C32D

// ---------------------------------------------------------------------------------------------
// exp

/**
 * e^x with the bits of V8's Math.exp (fdlibm e_exp.c plus V8's exp(1) = Math.E).
 *
 * Reduces x = k·ln2 + r with |r| <= ln2/2, r carried as hi − lo; approximates e^r by the rational
 * form 1 + r + r·c/(2 − c) where c = r − r²·P(r²); scales by 2^k through the exponent field
 * (in two steps below 2^-1021, so the subnormal result is rounded once at the end as fdlibm does).
 */
export function expF64(x: f64): f64 {
  const word = hi(x);
  const negative = word < 0;
  const ax = word & 0x7FFFFFFF; // upper word of |x|

  if (ax >= 0x40862E42) {
    // |x| >= 709.78…: not finite, or close to (or past) overflow / underflow.
    if (ax >= 0x7FF00000) {
      if (((ax & 0xFFFFF) | lo(x)) != 0) return x + x; // NaN
      return negative ? 0.0 : x; // e^-∞ = 0, e^+∞ = +∞
    }
    if (x > EXP_OVERFLOW) return Infinity;
    if (x < EXP_UNDERFLOW) return 0.0;
  }

  let k: i32 = 0;
  let rHi: f64 = 0;
  let rLo: f64 = 0;
  if (ax > 0x3FD62E42) {
    // |x| > ln2/2: reduce.
    if (ax < 0x3FF0A2B2) {
      // |x| < 1.5·ln2: k is ±1 without a multiply. V8 special-cases exp(1) here, because the
      // formula below is one ulp off for it; the returned value is Math.E.
      if (x == 1.0) return 2.718281828459045; // 0x4005BF0A 8B145769
      if (negative) {
        rHi = x + LN2_HI;
        rLo = -LN2_LO;
        k = -1;
      } else {
        rHi = x - LN2_HI;
        rLo = LN2_LO;
        k = 1;
      }
    } else {
      // k = x/ln2 rounded half away from zero (the C cast truncates toward zero).
      k = <i32>(INV_LN2 * x + (negative ? -0.5 : 0.5));
      const kf = <f64>k;
      rHi = x - kf * LN2_HI; // exact: kf·LN2_HI has few bits
      rLo = kf * LN2_LO;
    }
    x = rHi - rLo;
  } else if (ax < 0x3E300000) {
    // |x| < 2^-28: e^x rounds to 1 + x.
    return 1.0 + x;
  }

  // x is now the reduced argument r.
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - ((rLo - (x * c) / (2.0 - c)) - rHi);
  if (k >= -1021) {
    // 2^1024 is not a double: V8 multiplies by 2 then by 2^1023 (may round to +∞).
    if (k == 1024) return y * 2.0 * TWO_1023;
    return y * twoTo(k);
  }
  // Subnormal result: scale by 2^(k+1000) first (exact), then by 2^-1000 (the one rounding).
  return y * twoTo(k + 1000) * TWO_M1000;
}

// ---------------------------------------------------------------------------------------------
// exp and sigmoid on two f64 lanes

// The vector path takes a pair only when every lane is in [EXP_X2_MIN, EXP_X2_MAX] or below
// EXP_UNDERFLOW. In that range expF64's k lies in [-1021, 1023] (x = -708 gives -1021, 709 gives
// 1023), so 2^k is a normal double and the scale is the single multiply of expF64's common case;
// the subnormal two-step scale (k < -1021, x < -708.05) and the 2·2^1023 form (k = 1024) are left to
// expF64. Comparisons with NaN are false, so a NaN lane also takes the scalar route.
// @ts-ignore: decorator
@inline const EXP_X2_MIN: f64 = -708.0;
// @ts-ignore: decorator
@inline const EXP_X2_MAX: f64 = 709.0;
// |x| at or above this has an upper word above 0x3FD62E42, where expF64 starts reducing (k != 0).
// @ts-ignore: decorator
@inline const EXP_REDUCE_MIN: f64 = 0.3465735912322998; // 0x3FD62E43 00000000
// Below this |x| (upper word < 0x3E300000), expF64 returns 1 + x.
// @ts-ignore: decorator
@inline const TWO_M28: f64 = 3.725290298461914e-9; // 0x3E300000 00000000
// Adding 2^52 + 2^51 to an integer-valued double |k| < 2^51 is exact and leaves k, in two's
// complement, in the low bits of the sum's bit pattern.
// @ts-ignore: decorator
@inline const ROUND_MAGIC: f64 = 6755399441055744.0; // 0x43380000 00000000
// @ts-ignore: decorator
@inline const SIGN_BIT: i64 = 0x8000000000000000;

/**
 * True when expF64x2 computes `x` on its vector path (both lanes in the range where expX2Vector
 * reproduces expF64), false when it calls expF64 per lane. Exported so a test can check that the
 * vector path is the one taken for ordinary arguments.
 */
// @ts-ignore: decorator
@inline export function expF64x2TakesVectorPath(x: v128): bool {
  const inRange = v128.and(f64x2.ge(x, f64x2.splat(EXP_X2_MIN)), f64x2.le(x, f64x2.splat(EXP_X2_MAX)));
  return i64x2.all_true(v128.or(inRange, f64x2.lt(x, f64x2.splat(EXP_UNDERFLOW))));
}

/**
 * expF64 on both lanes without branches, valid when expF64x2TakesVectorPath(x).
 *
 * expF64's three reductions are one computation here. With kf = trunc(x/ln2 ± 0.5):
 * - |x| in expF64's ±1 branch (upper word in (0x3FD62E42, 0x3FF0A2B2)): x/ln2 is at least 1e-9
 *   above 0.5 and 2e-7 below 1.5 in magnitude, so kf is exactly ±1, and x − kf·LN2_HI, kf·LN2_LO
 *   are bit for bit x ∓ LN2_HI, ±LN2_LO (a − (−b) is a + b in IEEE arithmetic).
 * - k = 0 (upper word of |x| <= 0x3FD62E42): kf is forced to +0 (the formula could give ±1 or −0 just
 *   above ln2/2), so rHi = x, rLo = +0 and r = x exactly; expF64's k = 0 form
 *   1 − ((x·c)/(c − 2) − x) equals 1 − ((rLo − (x·c)/(2 − c)) − rHi) because c − 2 = −(2 − c) and
 *   division is sign-symmetric (they can differ only in the sign of a zero when x·c = 0, i.e. for
 *   tiny x, which are replaced by 1 + x), and the scale is 2^0 = 1.
 * The other branches of expF64 that the range admits are selected per lane at the end.
 */
// @ts-ignore: decorator
@inline function expX2Vector(x: v128): v128 {
  const ax = f64x2.abs(x);
  // ±0.5 with the sign bit of x: expF64 picks −0.5 exactly when the sign bit is set.
  const half = v128.or(f64x2.splat(0.5), v128.and(x, i64x2.splat(SIGN_BIT)));
  // f64x2.trunc is the C cast to int (toward zero); |k| < 2^31 wherever the result is used.
  let kf = f64x2.trunc(f64x2.add(f64x2.mul(f64x2.splat(INV_LN2), x), half));
  kf = v128.and(kf, f64x2.ge(ax, f64x2.splat(EXP_REDUCE_MIN)));
  const rHi = f64x2.sub(x, f64x2.mul(kf, f64x2.splat(LN2_HI)));
  const rLo = f64x2.mul(kf, f64x2.splat(LN2_LO));
  const r = f64x2.sub(rHi, rLo);

  const t = f64x2.mul(r, r);
  let p = f64x2.add(f64x2.splat(P4), f64x2.mul(t, f64x2.splat(P5)));
  p = f64x2.add(f64x2.splat(P3), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(P2), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(P1), f64x2.mul(t, p));
  const c = f64x2.sub(r, f64x2.mul(t, p));
  const q = f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2.0), c));
  const y = f64x2.sub(f64x2.splat(1.0), f64x2.sub(f64x2.sub(rLo, q), rHi));

  // 2^k from its exponent field: the low 12 bits of (bits of kf + 2^52 + 2^51) + 0x3FF are
  // k + 0x3FF (in [2, 2046] here), and the shift by 52 drops everything above them.
  const biased = i64x2.add(f64x2.add(kf, f64x2.splat(ROUND_MAGIC)), i64x2.splat(0x3FF));
  let result = f64x2.mul(y, i64x2.shl(biased, 52));

  // expF64's early returns, in lanes where they apply.
  result = v128.bitselect(f64x2.add(f64x2.splat(1.0), x), result, f64x2.lt(ax, f64x2.splat(TWO_M28)));
  result = v128.bitselect(f64x2.splat(2.718281828459045), result, f64x2.eq(x, f64x2.splat(1.0)));
  // x < EXP_UNDERFLOW (−∞ included) gives +0, whose bits are all zero.
  return v128.andnot(result, f64x2.lt(x, f64x2.splat(EXP_UNDERFLOW)));
}

/** expF64 on each lane in turn: the route for pairs the vector path does not cover. */
function expX2Lanes(x: v128): v128 {
  const a = expF64(f64x2.extract_lane(x, 0));
  const b = expF64(f64x2.extract_lane(x, 1));
  return f64x2.replace_lane(f64x2.splat(a), 1, b);
}

/**
 * expF64 of each f64 lane of `x` (so Math.exp's bits, lane by lane), two at a time.
 *
 * Pairs whose lanes lie in [-708, 709] or below the underflow threshold take the vector path;
 * any other pair (a NaN, +∞, x > 709, or a subnormal result) is computed by expF64 per lane.
 * Inlined (the lane-by-lane route stays a call): a loop keeps its constants and lanes in registers,
 * and AssemblyScript warns about a non-inlined exported function that takes or returns a v128.
 */
// @ts-ignore: decorator
@inline export function expF64x2(x: v128): v128 {
  // Written vector path first on purpose: as `if (!…) return expX2Lanes(x)`, Binaryen (which knows
  // expF64 has no side effects) hoisted the two scalar calls above the test, running them always.
  if (expF64x2TakesVectorPath(x)) return expX2Vector(x);
  return expX2Lanes(x);
}

/**
 * The logistic sigmoid of each f64 lane of `x`, with the bits of the JavaScript
 * `x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))`.
 *
 * Both branches take the exponential of −|x|: e^−x when x >= 0, e^x otherwise (for x = ±0 the
 * formula's argument is ∓0 and this one −0, all giving 1). So one expF64x2 serves both lanes,
 * 1 + e is the common denominator, and only the numerator (1 or e) is chosen per lane.
 * A NaN lane fails `x >= 0` and gives NaN / NaN, as the formula does. Inlined, like expF64x2.
 */
// @ts-ignore: decorator
@inline export function sigmoidF64x2(x: v128): v128 {
  const e = expF64x2(v128.or(x, i64x2.splat(SIGN_BIT))); // e^−|x|
  const numerator = v128.bitselect(f64x2.splat(1.0), e, f64x2.ge(x, f64x2.splat(0.0)));
  return f64x2.div(numerator, f64x2.add(f64x2.splat(1.0), e));
}

// ---------------------------------------------------------------------------------------------
// log

/**
 * ln x with the bits of V8's Math.log (fdlibm e_log.c).
 *
 * Writes x = 2^k·(1+f) with √2/2 < 1+f < √2 (subnormals first scaled by 2^54), then
 * ln(1+f) = f − hfsq + s·(hfsq + R(s)) with s = f/(2+f) and hfsq = f²/2 (or a shorter form when
 * 1+f is not near √2 or √2/2), and adds k·ln2 in two parts.
 */
export function logF64(x: f64): f64 {
  let word = hi(x);
  let k: i32 = 0;

  if (word < 0x00100000) {
    // x < 2^-1022: zero, negative, or subnormal.
    if (((word & 0x7FFFFFFF) | lo(x)) == 0) return -Infinity; // ln(±0)
    if (word < 0) return NaN; // ln of a negative number (or of -∞, or a NaN with the sign bit)
    k = -54;
    x *= TWO_54; // exact: makes a subnormal normal
    word = hi(x);
  }
  if (word >= 0x7FF00000) return x + x; // +∞ or NaN

  k += (word >> 20) - 1023;
  const mant = word & 0x000FFFFF; // top 20 mantissa bits
  // `half` is 0x100000 when the mantissa is at least about √2 − 1 (0x6A09E…): then x is
  // normalized into [√2/2, 1) instead of [1, √2) and k goes up by one.
  const half = (mant + 0x95F64) & 0x100000;
  x = withHi(x, mant | (half ^ 0x3FF00000));
  k += half >> 20;
  const f = x - 1.0;
  const dk = <f64>k;

  if (((2 + mant) & 0x000FFFFF) < 3) {
    // -2^-20 <= f < 2^-20: a short series is enough.
    if (f == 0.0) {
      if (k == 0) return 0.0;
      return dk * LN2_HI + dk * LN2_LO;
    }
    const r = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0) return f - r;
    return dk * LN2_HI - ((r - dk * LN2_LO) - f);
  }

  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  // The polynomial in two halves (even and odd powers of w), summed as fdlibm sums them.
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  if (mant >= 0x6147A && mant <= 0x6B851) {
    // 1+f near √2 (f up to 0.41) or near √2/2 (f down to −0.29): the hfsq form is more accurate.
    const hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + r));
    return dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f);
  }
  if (k == 0) return f - s * (f - r);
  return dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f);
}

// ---------------------------------------------------------------------------------------------
// log on two f64 lanes

// The smallest normal double, 2^-1022 (upper word 0x00100000): logF64 scales anything below it.
// @ts-ignore: decorator
@inline const MIN_NORMAL: f64 = 2.2250738585072014e-308; // 0x00100000 00000000
// 2^-20: logF64's short-series branch is exactly −2^-20 <= f < 2^-20 (see logX2Vector).
// @ts-ignore: decorator
@inline const TWO_M20: f64 = 9.5367431640625e-7; // 0x3EB00000 00000000
// The 52 mantissa bits, and logF64's constants moved up to the mantissa field of the whole double
// (the upper word's mantissa bits are bits 32..51 of the double).
// @ts-ignore: decorator
@inline const MANT_BITS: i64 = 0x000FFFFFFFFFFFFF;
// @ts-ignore: decorator
@inline const HALF_ADD: i64 = 0x00095F6400000000; // 0x95F64 << 32
// @ts-ignore: decorator
@inline const HALF_BIT: i64 = 0x0010000000000000; // 0x100000 << 32
// @ts-ignore: decorator
@inline const ONE_BITS: i64 = 0x3FF0000000000000; // 0x3FF00000 << 32, the bits of 1.0
// Lanes whose mantissa (as the whole 52-bit field) is in [NEAR_SQRT2_MIN, NEAR_SQRT2_END) have an
// upper-word mantissa in [0x6147A, 0x6B851], logF64's hfsq branch.
// @ts-ignore: decorator
@inline const NEAR_SQRT2_MIN: i64 = 0x0006147A00000000;
// @ts-ignore: decorator
@inline const NEAR_SQRT2_END: i64 = 0x0006B85200000000;
// 2^52 as a double: or-ing an integer 0 <= n < 2^52 into its (zero) mantissa gives 2^52 + n exactly.
// @ts-ignore: decorator
@inline const TWO_52_BITS: i64 = 0x4330000000000000;
// 2^52 + 1023: subtracted from 2^52 + (biased exponent) it leaves the unbiased exponent, exactly.
// @ts-ignore: decorator
@inline const TWO_52_PLUS_BIAS: f64 = 4503599627371519.0; // 0x43300000 000003FF

/**
 * True when logF64x2 computes `x` on its vector path: both lanes positive, finite and normal
 * (2^-1022 <= x < +∞), which is every x for which logF64 goes straight to its reduction. A NaN fails
 * both comparisons. Exported so a test can check that the vector path is the one taken.
 */
// @ts-ignore: decorator
@inline export function logF64x2TakesVectorPath(x: v128): bool {
  return i64x2.all_true(v128.and(
    f64x2.ge(x, f64x2.splat(MIN_NORMAL)),
    f64x2.lt(x, f64x2.splat(Infinity)),
  ));
}

/**
 * logF64 on both lanes without branches, valid when logF64x2TakesVectorPath(x).
 *
 * The reduction is logF64's, on the whole 64-bit pattern instead of its upper word (the lower word
 * rides along unchanged, as withHi keeps it): with mant the 52 mantissa bits,
 * - half = (mant + 0x95F64·2^32) & 2^52 is 2^52 exactly when the upper word's mantissa plus 0x95F64
 *   reaches 0x100000 (the lower word adds less than one unit of the upper word, so it cannot carry
 *   a sum of integers across that boundary), i.e. logF64's `half` moved up by 32 bits;
 * - 1+f has the bits mant | (half ^ 0x3FF00000·2^32), and f = (1+f) − 1 (exact, as in logF64);
 * - k = (biased exponent) − 1023 + (half ? 1 : 0): the exponent field of bits + half (it stays
 *   below 2047, the sign bit stays clear) is read as an integer and converted to the double dk
 *   through 2^52 (both steps exact; k = 0 gives +0, as logF64's <f64>0).
 * All three of logF64's branches for normal x are computed and selected per lane:
 * - |f| < 2^-20 (mant in {0, 0xFFFFE, 0xFFFFF}): since f is exact, ((2 + mant) & 0xFFFFF) < 3
 *   is −2^-20 <= f < 2^-20 (mant = 0: 0 <= f < 2^-20; 0xFFFFE and 0xFFFFF: 1+f in [1 − 2^-20, 1)).
 * - upper-word mantissa in [0x6147A, 0x6B851]: the hfsq form.
 * - otherwise: the s·(f − R) form.
 * Every branch ends in dk·LN2_HI − ((T − dk·LN2_LO) − f) or, for hfsq, dk·LN2_HI − ((hfsq −
 * (s·(hfsq + R) + dk·LN2_LO)) − f): T and that inner term are selected, then the common tail is
 * applied once (each lane is still the same sequence of roundings as logF64's branch for it).
 * logF64's k == 0 returns and its f == 0 return are not selected, because with dk = +0 the k != 0
 * forms give the same bits, by exact IEEE identities (round-to-nearest is sign-symmetric):
 * - dk·LN2_LO = +0 and y − (+0) = y, so the inner terms are s·(f − R), the series and
 *   hfsq − s·(hfsq + R) (s·(hfsq + R) + (+0) turns only a −0 into +0, and hfsq − (±0) = hfsq since
 *   hfsq > 0 there);
 * - then +0 − (y − f) is f − y: y − f = −(f − y), and +0 − v = −v except that +0 − (+0) = +0,
 *   which f − y also gives when f = y. So k = 0 yields logF64's f − s·(f − R),
 *   f − (hfsq − s·(hfsq + R)) and f − (series), and for x = 1 (f = +0, series = +0) +0.
 * - f == 0 (x a power of two, k != 0): the series is 0·0·(0.5 − …) = +0, (+0 − dk·LN2_LO) − (+0)
 *   is −(dk·LN2_LO), and dk·LN2_HI − (−(dk·LN2_LO)) = dk·LN2_HI + dk·LN2_LO, logF64's return.
 * The polynomial is evaluated in every lane (s, z, w are finite for any f in [−0.3, 0.42]).
 */
// @ts-ignore: decorator
@inline function logX2Vector(x: v128): v128 {
  const mant = v128.and(x, i64x2.splat(MANT_BITS));
  const half = v128.and(i64x2.add(mant, i64x2.splat(HALF_ADD)), i64x2.splat(HALF_BIT));
  const onePlusF = v128.or(mant, v128.xor(half, i64x2.splat(ONE_BITS)));
  const f = f64x2.sub(onePlusF, f64x2.splat(1.0));
  const kBiased = i64x2.shr_u(i64x2.add(x, half), 52); // k + 1023, in [1, 2047]
  const dk = f64x2.sub(v128.or(kBiased, i64x2.splat(TWO_52_BITS)), f64x2.splat(TWO_52_PLUS_BIAS));

  const s = f64x2.div(f, f64x2.add(f64x2.splat(2.0), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  let t1 = f64x2.add(f64x2.splat(LG4), f64x2.mul(w, f64x2.splat(LG6)));
  t1 = f64x2.mul(w, f64x2.add(f64x2.splat(LG2), f64x2.mul(w, t1)));
  let t2 = f64x2.add(f64x2.splat(LG5), f64x2.mul(w, f64x2.splat(LG7)));
  t2 = f64x2.add(f64x2.splat(LG3), f64x2.mul(w, t2));
  t2 = f64x2.mul(z, f64x2.add(f64x2.splat(LG1), f64x2.mul(w, t2)));
  const r = f64x2.add(t2, t1);

  const dkLo = f64x2.mul(dk, f64x2.splat(LN2_LO));
  // The short series (|f| < 2^-20): f·f·(0.5 − f/3).
  const series = f64x2.mul(
    f64x2.mul(f, f),
    f64x2.sub(f64x2.splat(0.5), f64x2.mul(f64x2.splat(0.33333333333333333), f)),
  );
  const tiny = v128.and(
    f64x2.ge(f, f64x2.splat(-TWO_M20)),
    f64x2.lt(f, f64x2.splat(TWO_M20)),
  );
  // s·(f − R) in the general branch, the series in the short one; either minus dk·LN2_LO.
  const plain = f64x2.sub(
    v128.bitselect(series, f64x2.mul(s, f64x2.sub(f, r)), tiny),
    dkLo,
  );
  // hfsq − (s·(hfsq + R) + dk·LN2_LO) near √2 and √2/2.
  const hfsq = f64x2.mul(f64x2.mul(f64x2.splat(0.5), f), f);
  const nearSqrt2Form = f64x2.sub(
    hfsq,
    f64x2.add(f64x2.mul(s, f64x2.add(hfsq, r)), dkLo),
  );
  const nearSqrt2 = v128.and(
    i64x2.ge_s(mant, i64x2.splat(NEAR_SQRT2_MIN)),
    i64x2.lt_s(mant, i64x2.splat(NEAR_SQRT2_END)),
  );
  const inner = v128.bitselect(nearSqrt2Form, plain, nearSqrt2);
  return f64x2.sub(f64x2.mul(dk, f64x2.splat(LN2_HI)), f64x2.sub(inner, f));
}

/** logF64 on each lane in turn: the route for pairs the vector path does not cover. */
function logX2Lanes(x: v128): v128 {
  const a = logF64(f64x2.extract_lane(x, 0));
  const b = logF64(f64x2.extract_lane(x, 1));
  return f64x2.replace_lane(f64x2.splat(a), 1, b);
}

/**
 * logF64 of each f64 lane of `x` (so Math.log's bits, lane by lane), two at a time.
 *
 * Pairs whose lanes are both positive, finite and normal (2^-1022 <= x < +∞: every probability
 * clamped to [1e-7, 1 − 1e-7], and 1 itself) take the vector path; a pair with a lane that is
 * ≤ 0 (±0 included), NaN, +∞ or subnormal is computed by logF64 per lane.
 * Inlined for the same reasons as expF64x2.
 */
// @ts-ignore: decorator
@inline export function logF64x2(x: v128): v128 {
  // Vector path first, as in expF64x2: with the test negated and the scalar route returned first,
  // Binaryen may hoist the two logF64 calls (it knows they have no side effects) above the test
  // and run them for every pair.
  if (logF64x2TakesVectorPath(x)) return logX2Vector(x);
  return logX2Lanes(x);
}

// ---------------------------------------------------------------------------------------------
// log1p

/**
 * ln(1 + x) with the bits of V8's Math.log1p (fdlibm s_log1p.c).
 *
 * For 1+x in about [√2/2, √2) takes f = x exactly; otherwise rounds u = 1 + x, reduces
 * u = 2^k·(1+f) as log does, and adds back the rounding error of u as c/u. Then
 * ln(1+f) = f − (hfsq − s·(hfsq + R(s))) with the same coefficients as log.
 */
export function log1pF64(x: f64): f64 {
  const word = hi(x);
  const ax = word & 0x7FFFFFFF;
  let k: i32 = 1; // nonzero: "reduce 1 + x"; set to 0 when f = x is used as it is
  let f: f64 = 0;
  let c: f64 = 0; // correction for the rounding of 1 + x
  let hu: i32 = 0; // mantissa word of the reduced 1 + f; 0 means |f| < 2^-20

  if (word < 0x3FDA827A) {
    // x < √2 − 1 (about 0.41421), including every negative x.
    if (ax >= 0x3FF00000) {
      // x <= -1 (including -∞ and NaNs with the sign bit set).
      return x == -1.0 ? -Infinity : NaN;
    }
    if (ax < 0x3E200000) {
      // |x| < 2^-29
      if (ax < 0x3C900000) return x; // |x| < 2^-54: ln(1+x) rounds to x
      return x - x * x * 0.5;
    }
    if (word > 0 || ax <= 0x3FD2BEC4) {
      // √2/2 − 1 <= x < √2 − 1 (about −0.2929 to 0.4142): no reduction, f is x exactly.
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (word >= 0x7FF00000) return x + x; // +∞ or NaN

  if (k != 0) {
    let u: f64;
    if (word < 0x43400000) {
      // x < 2^53: 1 + x rounds; c/u recovers what the rounding lost.
      u = 1.0 + x;
      hu = hi(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0);
      c /= u;
    } else {
      // x >= 2^53: 1 + x is x.
      u = x;
      hu = hi(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000FFFFF;
    if (hu < 0x6A09E) {
      u = withHi(u, hu | 0x3FF00000); // 1+f in [1, √2)
    } else {
      k += 1;
      u = withHi(u, hu | 0x3FE00000); // 1+f in [√2/2, 1)
      hu = (0x00100000 - hu) >> 2; // nonzero: this f is never tiny
    }
    f = u - 1.0;
  }

  const hfsq = 0.5 * f * f;
  const dk = <f64>k;
  if (hu == 0) {
    // |f| < 2^-20
    if (f == 0.0) {
      if (k == 0) return 0.0;
      c += dk * LN2_LO;
      return dk * LN2_HI + c;
    }
    const r = hfsq * (1.0 - 0.66666666666666666 * f);
    if (k == 0) return f - r;
    return dk * LN2_HI - ((r - (dk * LN2_LO + c)) - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  // Unlike log, log1p evaluates the polynomial as one Horner chain in z.
  const r = z * (LG1 + z * (LG2 + z * (LG3 + z * (LG4 + z * (LG5 + z * (LG6 + z * LG7))))));
  if (k == 0) return f - (hfsq - s * (hfsq + r));
  return dk * LN2_HI - ((hfsq - (s * (hfsq + r) + (dk * LN2_LO + c))) - f);
}

// ---------------------------------------------------------------------------------------------
// expm1

/**
 * e^x − 1 with the bits of V8's Math.expm1 (fdlibm s_expm1.c).
 *
 * Reduces x = k·ln2 + r as exp does but keeps the rounding error of r as c; approximates
 * expm1(r) = r − E with a rational form in r²/2 (coefficients Q1..Q5); then rebuilds
 * 2^k·(expm1(r) + 1) − 1 in whichever of fdlibm's forms loses least for that k.
 */
export function expm1F64(x: f64): f64 {
  const word = hi(x);
  const negative = word < 0;
  const ax = word & 0x7FFFFFFF;

  if (ax >= 0x4043687A) {
    // |x| >= 56·ln2
    if (ax >= 0x40862E42) {
      // |x| >= 709.78…
      if (ax >= 0x7FF00000) {
        if (((ax & 0xFFFFF) | lo(x)) != 0) return x + x; // NaN
        return negative ? -1.0 : x; // expm1(-∞) = −1, expm1(+∞) = +∞
      }
      if (x > EXP_OVERFLOW) return Infinity;
    }
    if (negative) return -1.0; // x < −56·ln2: e^x is below half an ulp of 1
  }

  let k: i32 = 0;
  let c: f64 = 0;
  if (ax > 0x3FD62E42) {
    // |x| > ln2/2: reduce.
    let rHi: f64;
    let rLo: f64;
    if (ax < 0x3FF0A2B2) {
      // |x| < 1.5·ln2
      if (negative) {
        rHi = x + LN2_HI;
        rLo = -LN2_LO;
        k = -1;
      } else {
        rHi = x - LN2_HI;
        rLo = LN2_LO;
        k = 1;
      }
    } else {
      k = <i32>(INV_LN2 * x + (negative ? -0.5 : 0.5));
      const kf = <f64>k;
      rHi = x - kf * LN2_HI;
      rLo = kf * LN2_LO;
    }
    x = rHi - rLo;
    c = (rHi - x) - rLo; // what rounding r lost
  } else if (ax < 0x3C900000) {
    // |x| < 2^-54: e^x − 1 rounds to x (and −0 stays −0).
    return x;
  }

  // x is now the reduced argument r.
  const hfx = 0.5 * x;
  const hxs = x * hfx;
  const r1 = 1.0 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
  let t = 3.0 - r1 * hfx;
  let e = hxs * ((r1 - t) / (6.0 - x * t));
  if (k == 0) return x - (x * e - hxs); // c is 0

  e = x * (e - c) - c;
  e -= hxs;
  if (k == -1) return 0.5 * (x - e) - 0.5;
  if (k == 1) {
    if (x < -0.25) return -2.0 * (e - (x + 0.5));
    return 1.0 + 2.0 * (x - e);
  }
  if (k <= -2 || k > 56) {
    // e^x itself, minus 1: the −1 either dominates or vanishes.
    let y = 1.0 - (e - x);
    if (k == 1024) y = y * 2.0 * TWO_1023;
    else y = y * twoTo(k);
    return y - 1.0;
  }
  if (k < 20) {
    // 2^k·((1 − 2^-k) − (e − r)): 1 − 2^-k is exact here.
    t = fromHi(0x3FF00000 - (0x200000 >> k));
    const y = t - (e - x);
    return y * twoTo(k);
  }
  // 20 <= k <= 56: 2^k·((r − (e + 2^-k)) + 1).
  t = fromHi((0x3FF - k) << 20);
  let y = x - (e + t);
  y += 1.0;
  return y * twoTo(k);
}

// ---------------------------------------------------------------------------------------------
// tanh

/**
 * tanh x with the bits of V8's Math.tanh (fdlibm s_tanh.c, on expm1F64 above).
 *
 * |x| < 2^-28: x. |x| < 1: −t/(t + 2) with t = expm1(−2|x|). |x| < 22: 1 − 2/(t + 2) with
 * t = expm1(2|x|). Beyond: ±1. The sign of x is applied last.
 */
export function tanhF64(x: f64): f64 {
  const word = hi(x);
  const ax = word & 0x7FFFFFFF;

  if (ax >= 0x7FF00000) {
    // ±∞ gives ±1 (1/x is ±0); NaN gives NaN.
    return word >= 0 ? 1.0 / x + 1.0 : 1.0 / x - 1.0;
  }

  let z: f64;
  if (ax < 0x40360000) {
    // |x| < 22
    if (ax < 0x3E300000) return x; // |x| < 2^-28 (keeps −0)
    if (ax >= 0x3FF00000) {
      // |x| >= 1
      const t = expm1F64(2.0 * abs(x));
      z = 1.0 - 2.0 / (t + 2.0);
    } else {
      const t = expm1F64(-2.0 * abs(x));
      z = -t / (t + 2.0);
    }
  } else {
    z = 1.0; // |x| >= 22: tanh rounds to ±1
  }
  return word >= 0 ? z : -z;
}
