package io.kwait.bench;

import java.util.Arrays;
import org.HdrHistogram.Histogram;

/**
 * Statistics over samples: medians, minima and maxima exactly; latency percentiles from an
 * HdrHistogram, as latency tools report them.
 */
public final class Stats {
    /** Three significant digits: a percentile is within 0.1% of the sample it stands for. */
    static final int DIGITS = 3;

    private Stats() {}

    /** The exact median (the mean of the middle two for an even count): medians over batches and runs. */
    public static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /**
     * The p-th percentile (p in [0, 100]) of latency samples in nanoseconds, from an
     * {@link Histogram} of them: HdrHistogram's value at that percentile (the highest value
     * equivalent to the sample at that rank, within 0.1%; never beyond the smallest or largest
     * sample). Samples are rounded to whole
     * nanoseconds; negative ones (a timer run before its due time) are shifted in and back out.
     */
    public static double percentile(double[] v, double p) {
        if (v.length == 0) return Double.NaN;
        double lo = min(v), hi = max(v);
        long shift = (long) Math.floor(Math.min(0, lo));
        // A bucket's highest equivalent value may pass the largest sample (by < 0.1%): a p99.9 above max would read oddly.
        return Math.max(lo, Math.min(hi, histogram(v, shift).getValueAtPercentile(p) + shift));
    }

    /** A histogram of {@code v - shift}, rounded to whole units. */
    static Histogram histogram(double[] v, long shift) {
        Histogram h = new Histogram(DIGITS); // auto-resizing: no highest trackable value to guess
        for (double x : v) h.recordValue(Math.round(x - shift));
        return h;
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
