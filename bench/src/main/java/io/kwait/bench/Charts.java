package io.kwait.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG charts (XChart, headless): latency distributions and ratios. */
final class Charts {
    private final Report report;
    private final Path dir;

    Charts(Report report, Path dir) {
        this.report = report;
        this.dir = dir;
    }

    void write() throws IOException {
        Files.createDirectories(dir);
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) if (p.toString().endsWith(".png")) Files.delete(p);
        }
        ratios("1", "Task switch: ns per round trip relative to the virtual-thread baton", "vt-baton");
        ratios("2", "Channel ping-pong: relative to SynchronousQueue between virtual threads", "vt-sq");
        ratios("3a", "Socket ping-pong, one thread: relative to the NIO loop (same size)", "nio-");
        ratios("3b", "Socket ping-pong, two threads: relative to the NIO loops (same size)", "nio-");
        ratios("4", "1 active + 10,000 idle: relative to the same implementation with 1 connection", "self");
        ratios("6s", "Timers schedule+cancel: ns per timer relative to STPE", "stpe");
        distribution("5", "Exit-to-event delay, children", f -> "children".equals(f.text("which")), "delay-5-children");
        distribution("5", "Exit-to-event delay, pids not spawned by this JVM", f -> "others".equals(f.text("which")), "delay-5-others");
        distribution("6l", "Timer lateness, 10,000 timers at 1 ms spacing", f -> true, "lateness-6");
        distribution("7", "Cross-thread wakeup latency", f -> true, "wakeup-7");
        memory();
        targets();
    }

    private static String shortName(Report.Fig f) {
        return f.key;
    }

    private void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, String name) {
        try {
            BitmapEncoder.saveBitmap(chart, dir.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (Exception e) {
            report.main.problems.add("chart " + name + " failed: " + e);
        }
    }

    private void ratios(String sc, String title, String ref) throws IOException {
        List<Report.Fig> list = report.of(sc);
        List<String> names = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (Report.Fig f : list) {
            String rk = ref.equals("self") ? f.key.replaceAll("-idle$", "-0") : ref.endsWith("-") ? ref + f.key.substring(f.key.lastIndexOf('-') + 1) : ref;
            Report.Fig r = report.fig(sc, rk);
            if (r == null || r == f || !(f.median / r.median > 0)) continue;
            names.add(shortName(f));
            values.add(f.median / r.median);
        }
        if (names.isEmpty()) return;
        CategoryChart c = ratioChart(title, "ratio to the reference (log scale; below 1 = faster)", 1000, 520, 30);
        c.addSeries("ratio", names, values.stream().map(v -> (Number) log2(v)).toList());
        save(c, "ratios-" + sc);
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    /** A bar chart of log2(ratio), its axis labelled in ratios (XChart's log axis refuses bar charts). */
    private static CategoryChart ratioChart(String title, String yTitle, int w, int h, int rotation) {
        CategoryChart c = new CategoryChartBuilder().width(w).height(h).title(title).xAxisTitle("figure").yAxisTitle(yTitle).build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setXAxisLabelRotation(rotation);
        c.getStyler().setyAxisTickLabelsFormattingFunction(v -> {
            double r = Math.pow(2, v);
            return r >= 10 ? String.format(Locale.ROOT, "%.0f×", r) : String.format(Locale.ROOT, "%.2f×", r);
        });
        return c;
    }

    private void distribution(String sc, String title, java.util.function.Predicate<Report.Fig> which, String name) throws IOException {
        List<Report.Fig> list = report.of(sc, which);
        if (list.isEmpty()) return;
        XYChart c = new XYChartBuilder().width(1000).height(560).title(title).xAxisTitle("percentile (log scale of 1 - p: p90, p99, p99.9 ...)").yAxisTitle("µs (log scale)").build();
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        c.getStyler().setYAxisDecimalPattern("#,##0.#");
        c.getStyler().setxAxisTickLabelsFormattingFunction(x -> {
            double p = 100 * (1 - Math.pow(10, -x));
            int decimals = Math.max(0, Math.min(4, (int) Math.floor(x + 1e-9)));
            return p < 0.5 ? "p0" : "p" + String.format(Locale.ROOT, "%." + decimals + "f", p);
        });
        for (Report.Fig f : list) {
            double[] s = f.pooled.clone();
            if (s.length == 0) continue;
            Arrays.sort(s);
            int n = s.length;
            int points = Math.min(n, 400);
            double[] xs = new double[points], ys = new double[points];
            double maxNines = Math.log10(n);
            for (int i = 0; i < points; i++) {
                double nines = maxNines * i / (points - 1);
                double p = 1 - Math.pow(10, -nines);
                int idx = Math.min(n - 1, (int) Math.floor(p * n));
                xs[i] = nines;
                ys[i] = Math.max(0.01, s[idx] / 1000.0);
            }
            c.addSeries(shortName(f), xs, ys).setMarker(SeriesMarkers.NONE);
        }
        save(c, name);
    }

    private void memory() throws IOException {
        List<Report.Fig> list = report.of("8");
        if (list.isEmpty()) return;
        CategoryChart c = new CategoryChartBuilder().width(1000).height(520).title("Heap per parked waiter").xAxisTitle("figure").yAxisTitle("bytes").build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setXAxisLabelRotation(30);
        c.getStyler().setLabelsVisible(true);
        c.addSeries("bytes", list.stream().map(Charts::shortName).toList(), list.stream().map(f -> (Number) f.median).toList());
        save(c, "memory-8");
    }

    /** Every ratio checked against a target, with its limit, in one chart. */
    private void targets() throws IOException {
        List<String> names = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (Report.Check ch : report.checks) {
            if (ch.met() == null) continue;
            String v = ch.value();
            if (!v.matches("^[0-9.]+×.*")) continue;
            double x = Double.parseDouble(v.substring(0, v.indexOf('×')));
            if (!(x > 0)) continue;
            names.add(ch.scenario() + " " + ch.compared() + (ch.met() ? " (met)" : " (missed)"));
            values.add(x);
        }
        if (names.isEmpty()) return;
        CategoryChart c = ratioChart("Ratios checked against the targets (see BENCHMARKS.md for each limit and its direction)", "ratio (log scale)", 1200, 700, 45);
        c.addSeries("ratio", names, values.stream().map(v -> (Number) log2(v)).toList());
        save(c, "targets");
    }
}
