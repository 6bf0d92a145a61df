package io.kwait.kqueue.sim;

import io.kwait.spi.ReadySink;
import io.kwait.spi.Source;

import java.util.ArrayList;
import java.util.List;

/** A {@link ReadySink} that records what a poll reported. */
final class Reports implements ReadySink {
    record Report(Source source, int ready, int flags, long data, Throwable error) {}

    final List<Report> list = new ArrayList<>();

    @Override
    public void ready(Source source, int ready, int flags, long data, Throwable error) {
        list.add(new Report(source, ready, flags, data, error));
    }

    Report only() {
        if (list.size() != 1) throw new AssertionError("expected one report, got " + list);
        return list.get(0);
    }

    Report of(Source s) {
        Report found = null;
        for (Report r : list) {
            if (r.source() == s) {
                if (found != null) throw new AssertionError("two reports for " + s + ": " + list);
                found = r;
            }
        }
        return found;
    }

    Reports clear() {
        list.clear();
        return this;
    }
}
