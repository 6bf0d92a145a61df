package io.kwait.testkit;

import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;

import java.util.ArrayList;
import java.util.List;

/** A {@link ReadySink} that records what a poll reported. */
public final class Reports implements ReadySink {
    /** One call of {@link #ready}. */
    public record Report(Source source, int ready, int flags, long data, Throwable error) {}

    /** Every report since the last {@link #clear()}, in order. */
    public final List<Report> list = new ArrayList<>();

    @Override
    public void ready(Source source, int ready, int flags, long data, Throwable error) {
        list.add(new Report(source, ready, flags, data, error));
    }

    /** The one report; fails when there are none or several. */
    public Report only() {
        if (list.size() != 1) throw new AssertionError("expected one report, got " + list);
        return list.get(0);
    }

    /**
     * The ready bits reported for {@code s}, over every report: a backend may report one source's
     * filters in separate calls when their data or flags differ (each Fired carries its own).
     */
    public int readyOf(Source s) {
        int ready = 0;
        for (Report r : list) if (r.source() == s) ready |= r.ready();
        return ready;
    }

    /** The report for {@code s} that carries {@code bit}, or null. */
    public Report carrying(Source s, int bit) {
        for (Report r : list) if (r.source() == s && (r.ready() & bit) != 0) return r;
        return null;
    }

    /** The report for {@code s}, or null; fails when there are two. */
    public Report of(Source s) {
        Report found = null;
        for (Report r : list) {
            if (r.source() == s) {
                if (found != null) throw new AssertionError("two reports for " + s + ": " + list);
                found = r;
            }
        }
        return found;
    }

    /** Forgets every report; returns this. */
    public Reports clear() {
        list.clear();
        return this;
    }
}
