// The floor for W2 XOR: 2-4-1 sigmoid, MSE, SGD lr 0.5, rounded to float32 wherever Backprop
// stores into a Float32Array, in one hand-specialised function (plain arrays, unrolled, no calls
// but Math.exp). Not a library: it only tells how fast plain JavaScript can do this exact arithmetic
// on this machine. Run: node apps/bench/experiments/xor-floor.mjs
const fr = Math.fround;
const arr = (n) => { const a = []; for (let i = 0; i < n; i++) a.push(0.5); a.fill(0); return a; };
const X = [0, 0, 0, 1, 1, 0, 1, 1], Y = [0, 1, 1, 0];
const W1 = arr(8), B1 = arr(4), W2 = arr(4), B2 = arr(1);
for (let i = 0; i < 8; i++) W1[i] = fr(Math.sin(i + 1)); for (let i = 0; i < 4; i++) W2[i] = fr(Math.cos(i + 1));
const Z1 = arr(16), H = arr(16), Z2 = arr(4), O = arr(4), D2 = arr(4), D1 = arr(16), G1 = arr(8), GB1 = arr(4), G2 = arr(4);
function sig(x) { if (x >= 0) return 1 / (1 + Math.exp(-x)); const e = Math.exp(x); return e / (1 + e); }
function epoch() {
  let loss = 0;
  for (let i = 0; i < 4; i++) {
    const x0 = X[2 * i], x1 = X[2 * i + 1];
    for (let j = 0; j < 4; j++) { const z = fr(fr(0 + x0 * W1[j] + x1 * W1[4 + j]) + B1[j]); Z1[4 * i + j] = z; H[4 * i + j] = fr(sig(z)); }
    const z2 = fr(fr(0 + H[4 * i] * W2[0] + H[4 * i + 1] * W2[1] + H[4 * i + 2] * W2[2] + H[4 * i + 3] * W2[3]) + B2[0]);
    Z2[i] = z2; const o = fr(sig(z2)); O[i] = o; const d = o - Y[i]; loss += d * d;
    D2[i] = fr(fr(2 * d / 4) * (o * (1 - o)));
  }
  for (let j = 0; j < 4; j++) G2[j] = fr(0 + H[j] * D2[0] + H[4 + j] * D2[1] + H[8 + j] * D2[2] + H[12 + j] * D2[3]);
  let gb2 = 0; for (let i = 0; i < 4; i++) gb2 = fr(gb2 + D2[i]);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) { const h = H[4 * i + j]; D1[4 * i + j] = fr(fr(D2[i] * W2[j]) * (h * (1 - h))); }
  for (let p = 0; p < 2; p++) for (let j = 0; j < 4; j++) G1[4 * p + j] = fr(0 + X[p] * D1[j] + X[2 + p] * D1[4 + j] + X[4 + p] * D1[8 + j] + X[6 + p] * D1[12 + j]);
  for (let j = 0; j < 4; j++) { let s = 0; for (let i = 0; i < 4; i++) s = fr(s + D1[4 * i + j]); GB1[j] = s; }
  for (let i = 0; i < 8; i++) W1[i] = fr(W1[i] - 0.5 * G1[i]);
  for (let j = 0; j < 4; j++) { B1[j] = fr(B1[j] - 0.5 * GB1[j]); W2[j] = fr(W2[j] - 0.5 * G2[j]); }
  B2[0] = fr(B2[0] - 0.5 * gb2);
  return loss / 4;
}
const hist = [];
const res = [];
for (let r = 0; r < 15; r++) { const t = performance.now(); for (let e = 0; e < 10000; e++) hist.push(epoch()); res.push(performance.now() - t); }
res.sort((a, b) => a - b); console.log("hand-specialised XOR floor: median", res[7].toFixed(2), "ms", "loss", hist.at(-1).toFixed(5));
