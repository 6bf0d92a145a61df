package io.kwait.bench;

import java.util.Arrays;

/** Order statistics over samples. */
public final class Stats {
    private Stats() {}

    public static double median(double[] v) {
        return percentile(v, 50);
    }

    /** The p-th percentile (nearest rank on the sorted copy; p in [0, 100]). */
    public static double percentile(double[] v, double p) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        Arrays.sort(s);
        return sortedPercentile(s, p);
    }

    /** Percentile of an already sorted array; the median of an even count is the mean of the middle two. */
    public static double sortedPercentile(double[] s, double p) {
        if (s.length == 0) return Double.NaN;
        if (p == 50) {
            int m = s.length / 2;
            return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
        }
        int rank = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, rank))];
    }

    public static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    public static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    public static double[] concat(double[] a, double[] b) {
        double[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
