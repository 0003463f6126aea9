/**
 * Draws ranks 0..n-1 with Zipf probabilities (rank k has weight 1/(k+1)^s): a few accounts get
 * most of the traffic, as merchants' accounts do. Inverse-CDF sampling over a precomputed table.
 */
export function zipfSampler(n: number, s = 1.0, random: () => number = Math.random): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / Math.pow(k + 1, s);
    cdf[k] = total;
  }
  return () => {
    const u = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
