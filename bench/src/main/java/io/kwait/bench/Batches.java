package io.kwait.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The nanoTime batch method of {@code research/baselines.md}: size the batch to about
 * {@code batchMs} while warming up for {@code warmupMs}, then time {@code batches} batches.
 * Returns nanoseconds per operation of each timed batch.
 */
public final class Batches {
    /** One batch: performs {@code n} operations and returns the nanoseconds they took. */
    @FunctionalInterface
    public interface Batch {
        long run(int n) throws Exception;
    }

    public final long warmupMs;
    public final long batchMs;
    public final int batches;

    public Batches(long warmupMs, long batchMs, int batches) {
        this.warmupMs = warmupMs;
        this.batchMs = batchMs;
        this.batches = batches;
    }

    public double[] measure(Batch batch) throws Exception {
        return measure(batch, 100);
    }

    /** @param first the size of the first (warm-up) batch */
    public double[] measure(Batch batch, int first) throws Exception {
        long batchNanos = batchMs * 1_000_000L;
        int n = first;
        long start = System.nanoTime();
        List<Double> rates = new ArrayList<>();
        do {
            long t = batch.run(n);
            rates.add(Math.max(1.0, (double) t / n));
            // Size the next batch from the median of the last few, so one slow batch does not shrink it.
            List<Double> last = new ArrayList<>(rates.subList(Math.max(0, rates.size() - 5), rates.size()));
            last.sort(null);
            double per = last.get(last.size() / 2);
            n = (int) Math.max(10, Math.min(Integer.MAX_VALUE / 4, batchNanos / per));
        } while (System.nanoTime() - start < warmupMs * 1_000_000L);
        double[] out = new double[batches];
        for (int b = 0; b < batches; b++) out[b] = (double) batch.run(n) / n;
        return out;
    }
}
