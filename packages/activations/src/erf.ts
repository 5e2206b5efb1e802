/*
 * erf and erfc to about 1e-16 relative, from W. J. Cody's rational Chebyshev approximations
 * ("Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969) 631–638;
 * coefficients as in his CALERF, netlib specfun). Math has no erf, and GELU's gradient check
 * needs f and df consistent to far better than the usual 1e-7 approximations give.
 *
 * Three intervals of |x|: [0, 0.46875] erf directly; (0.46875, 4] and (4, 26.543) erfc(|x|) as
 * e^(−x²) times a rational function; beyond 26.543 erfc underflows to 0.
 */

const THRESHOLD = 0.46875;
/** erfc(x) < smallest normal double beyond this. */
const XBIG = 26.543;
/** 1/√π. */
const INV_SQRT_PI = 0.56418958354775628695;

/** erf(x) for |x| ≤ 0.46875: x·A(x²)/B(x²). */
function erfSmall(x: number): number {
  const z = x * x;
  const num = (((0.185777706184603153 * z + 3.1611237438705656) * z + 113.864154151050156) * z + 377.485237685302021) * z +
    3209.37758913846947;
  const den = (((z + 23.6012909523441209) * z + 244.024637934444173) * z + 1282.61652607737228) * z + 2844.23683343917062;
  return (x * num) / den;
}

/** erfc(y) for y > 0.46875 (NaN stays NaN). */
function erfcTail(y: number): number {
  if (y >= XBIG) return 0;
  let r: number;
  if (y <= 4) {
    const num =
      (((((((2.15311535474403846e-8 * y + 0.564188496988670089) * y + 8.88314979438837594) * y + 66.1191906371416295) * y +
        298.635138197400131) * y + 881.95222124176909) * y + 1712.04761263407058) * y + 2051.07837782607147) * y +
      1230.33935479799725;
    const den =
      (((((((y + 15.7449261107098347) * y + 117.693950891312499) * y + 537.181101862009858) * y + 1621.38957456669019) * y +
        3290.79923573345963) * y + 4362.61909014324716) * y + 3439.36767414372164) * y + 1230.33935480374942;
    r = num / den;
  } else {
    const z = 1 / (y * y);
    const num =
      ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z +
        0.0160837851487422766) * z + 6.58749161529837803e-4;
    const den =
      ((((z + 2.56852019228982242) * z + 1.87295284992346047) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z +
      0.00233520497626869185;
    r = (INV_SQRT_PI - (z * num) / den) / y;
  }
  // NOTE: e^(−y²) is split as e^(−t²)·e^(−(y−t)(y+t)) with t = y rounded down to 1/16: t² is
  // exact, so the rounding error of y² is not magnified by the exponential for large y.
  const t = Math.trunc(y * 16) / 16;
  return Math.exp(-t * t) * Math.exp(-(y - t) * (y + t)) * r;
}

/** The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt. */
export function erf(x: number): number {
  const y = Math.abs(x);
  if (y <= THRESHOLD) return erfSmall(x);
  const tail = erfcTail(y);
  return x < 0 ? tail - 1 : 1 - tail;
}

/** The complementary error function erfc(x) = 1 − erf(x), accurate where it is tiny (x ≫ 0). */
export function erfc(x: number): number {
  const y = Math.abs(x);
  if (y <= THRESHOLD) return 1 - erfSmall(x);
  const tail = erfcTail(y);
  return x < 0 ? 2 - tail : tail;
}

/** The standard normal CDF Φ(x) = erfc(−x/√2)/2, accurate in the lower tail too. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}
