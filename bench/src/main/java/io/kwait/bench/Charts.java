package io.kwait.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * PNG charts for readers, drawn with Java2D (headless): one chart per scenario, embedded in
 * BENCHMARKS.md under its table. Every figure is one row with its table label: a dot at the
 * median and a whisker from min to max (throughput and memory scenarios), or markers at p50,
 * p90, p99, p99.9 and max (latency distributions). kwait rows are orange, peers blue-grey, with
 * a legend; the scenario's reference peer is marked "(reference)" and each row shows its ratio to
 * it. The axis is linear when the figures span less than 20×, logarithmic otherwise.
 *
 * <p>The charts are drawn from the figures of a run ({@link #write(Report, Path)}) or, with no
 * rows at hand, from the tables of a written BENCHMARKS.md ({@link #fromMarkdown}), so a chart
 * change never needs a new 25-minute run.
 */
final class Charts {
    /** One figure as a chart needs it: values in the table's unit (ns, or bytes for memory). */
    record Point(String label, boolean kwait, boolean reference, double median, double min, double max, double[] pct) {}

    /** One chart: file name (no extension), title, axis unit, rows. */
    record Chart(String name, String title, String unit, List<Point> points, boolean distribution) {}

    /** The chart files of each scenario, in the order they appear under its table. */
    static final Map<String, List<String>> FILES = new LinkedHashMap<>();

    static {
        for (String sc : List.of("1", "2", "3a", "3b", "4", "6s")) FILES.put(sc, List.of("figures-" + sc));
        FILES.put("5", List.of("delay-5-children", "delay-5-others"));
        FILES.put("6l", List.of("lateness-6"));
        FILES.put("7", List.of("wakeup-7"));
        FILES.put("8", List.of("memory-8"));
        FILES.put("9", List.of("wall-9", "spawn-9"));
        FILES.put("10", List.of("http-10-rps", "http-10-p99"));
    }

    static final String[] PCT_NAMES = {"p50", "p90", "p99", "p99.9", "max"};
    private static final Color KWAIT = new Color(0xE8, 0x6A, 0x10);
    private static final Color PEER = new Color(0x4A, 0x6F, 0x8F);
    private static final Color GRID = new Color(0xE4, 0xE4, 0xE4);
    private static final Color TEXT = new Color(0x22, 0x22, 0x22);

    private Charts() {}

    // ================================================================ sources

    /** Charts from a run's figures. */
    static void write(Report report, Path dir) throws IOException {
        List<Chart> charts = new ArrayList<>();
        String[][] simple = {{"1", "Task switch: ns per round trip", "vt-baton"}, {"2", "Channel ping-pong: ns per round trip", "vt-sq"},
                {"3a", "Socket ping-pong, both ends in one thread: ns per round trip", "nio-1"},
                {"3b", "Socket ping-pong, two threads: ns per round trip", "nio-1"},
                {"4", "1 active connection among 10,000 idle: ns per round trip", ""},
                {"6s", "Timers, schedule then cancel: ns per timer", "stpe"}};
        for (String[] s : simple) {
            List<Point> pts = new ArrayList<>();
            for (Report.Fig f : report.of(s[0])) pts.add(new Point(f.label, f.kwait(), f.key.equals(s[2]), f.median, f.min, f.max, null));
            charts.add(new Chart("figures-" + s[0], s[1], "ns", pts, false));
        }
        charts.add(dist(report, "5", f -> "children".equals(f.text("which")), "delay-5-children", "Exit-to-event delay, 1,000 children of this JVM", ""));
        charts.add(dist(report, "5", f -> "others".equals(f.text("which")), "delay-5-others", "Exit-to-event delay, 1,000 processes not started by this JVM", ""));
        charts.add(dist(report, "6l", f -> true, "lateness-6", "Timer lateness, 10,000 timers at 1 ms spacing", "stpe"));
        charts.add(dist(report, "7", f -> true, "wakeup-7", "Cross-thread wakeup latency", "unpark"));
        List<Point> mem = new ArrayList<>();
        for (Report.Fig f : report.of("8")) mem.add(new Point(f.label, f.kwait(), f.key.equals("vt"), f.median, f.min, f.max, null));
        charts.add(new Chart("memory-8", "Heap per parked waiter", "bytes", mem, false));
        charts.addAll(HttpReport.charts(report));
        charts.addAll(children(report));
        if (report.main.splice) {
            // Only the spliced scenarios' charts are redrawn; the others stay as the full run drew them.
            java.util.Set<String> names = new java.util.HashSet<>();
            for (Map.Entry<String, List<String>> e : FILES.entrySet()) {
                if (report.main.only.contains(e.getKey().replaceAll("[a-z]$", ""))) names.addAll(e.getValue());
            }
            charts.removeIf(c -> !names.contains(c.name()));
            draw(charts, dir, false);
            return;
        }
        draw(charts, dir);
    }

    /** Scenario 9: wall time per way, grouped by figure with each group's reference last (as {@link #referenceFor} reads it); /bin/true latency. */
    static List<Chart> children(Report report) {
        List<Point> wall = new ArrayList<>();
        for (String figure : List.of("out", "both")) {
            Report.Fig ref = report.fig("9", "threads-" + figure);
            for (Report.Fig f : report.of("9", f -> figure.equals(f.text("figure")) && f != ref)) {
                wall.add(new Point(shortLabel(f), f.kwait(), false, f.median, f.min, f.max, null));
            }
            if (ref != null) wall.add(new Point(shortLabel(ref), false, true, ref.median, ref.min, ref.max, null));
        }
        String n = report.of("9").isEmpty() ? "" : String.format(Locale.ROOT, "%,.0f", report.of("9").get(0).extra("count"));
        return List.of(new Chart("wall-9", "Children: wall time for " + n + " children writing 64 KiB each, at most 64 alive", "ns", wall, false),
                dist(report, "9", f -> "true".equals(f.text("figure")), "spawn-9", "Children: /bin/true spawn-to-exit latency, one at a time", "threads-true"));
    }

    /** Scenario 9's table labels are sentences; the chart names the way and the figure only. */
    static String shortLabel(Report.Fig f) {
        String way = f.text("way"), figure = f.text("figure");
        if ("true".equals(figure) && way != null) {
            return switch (way) {
                case "threads" -> "ProcessBuilder: start() + waitFor()";
                case "nuprocess" -> "NuProcess: start() + waitFor()";
                default -> "kwait " + f.backend + ": Child.start + wait(exit)";
            };
        }
        String who = way == null ? f.label : switch (way) {
            case "kwait-loop" -> "kwait " + f.backend + ": one wait loop";
            case "kwait-tasks" -> "kwait " + f.backend + (f.text("strand") == null ? "" : "/" + f.text("strand")) + ": 64 tasks";
            case "threads" -> "ProcessBuilder + platform thread per stream";
            case "virtual" -> "ProcessBuilder + virtual thread per stream";
            case "nuprocess" -> "NuProcess";
            default -> f.label;
        };
        return who + ("both".equals(figure) ? " — stdout + stderr" : "out".equals(figure) ? " — stdout" : "");
    }

    private static Chart dist(Report report, String sc, java.util.function.Predicate<Report.Fig> which, String name, String title, String ref) {
        List<Point> pts = new ArrayList<>();
        for (Report.Fig f : report.of(sc, which)) {
            if (f.pct == null) continue;
            pts.add(new Point(sc.equals("9") ? shortLabel(f) : f.label, f.kwait(), f.key.equals(ref), f.pct[0], f.pct[0], f.pct[f.pct.length - 1], f.pct.clone()));
        }
        return new Chart(name, title, "ns", pts, true);
    }

    /**
     * Charts from the tables of a written BENCHMARKS.md: each scenario's first table whose header
     * starts with "figure"; bold labels are kwait's; a ratio cell "1 (reference)" marks the reference.
     */
    static List<Chart> fromMarkdown(Path md) throws IOException {
        Map<String, String> titles = new LinkedHashMap<>();
        Map<String, List<List<String>>> tables = new LinkedHashMap<>();
        Map<String, List<String>> headers = new LinkedHashMap<>();
        String sc = null;
        boolean inTable = false;
        for (String line : Files.readAllLines(md, StandardCharsets.UTF_8)) {
            if (line.matches("^## [0-9][a-z]?\\. .*")) {
                sc = line.substring(3, line.indexOf('.'));
                titles.put(sc, line.substring(line.indexOf('.') + 2));
                inTable = false;
                continue;
            }
            if (line.startsWith("## ")) { sc = null; continue; }
            if (sc == null) continue;
            if (line.startsWith("| figure |") && !tables.containsKey(sc)) {
                headers.put(sc, cells(line));
                tables.put(sc, new ArrayList<>());
                inTable = true;
                continue;
            }
            if (inTable) {
                if (line.startsWith("| ---")) continue;
                if (!line.startsWith("|")) { inTable = false; continue; }
                tables.get(sc).add(cells(line));
            }
        }
        List<Chart> charts = new ArrayList<>();
        for (String s : List.of("1", "2", "3a", "3b", "4", "6s")) {
            if (!tables.containsKey(s)) continue;
            List<Point> pts = new ArrayList<>();
            for (List<String> r : tables.get(s)) {
                pts.add(new Point(label(r.get(0)), bold(r.get(0)), r.get(5).startsWith("1 (reference)"), ns(r.get(1)), ns(r.get(2)), ns(r.get(3)), null));
            }
            charts.add(new Chart("figures-" + s, titles.get(s) + ": " + unitWords(tables.get(s).get(0).get(1)), "ns", pts, false));
        }
        if (tables.containsKey("5")) {
            for (String which : List.of("children", "others")) {
                List<Point> pts = new ArrayList<>();
                for (List<String> r : tables.get("5")) {
                    if (!r.get(1).equals(which)) continue;
                    double[] pct = {ns(r.get(2)), ns(r.get(3)), ns(r.get(4)), ns(r.get(5)), ns(r.get(6))};
                    pts.add(new Point(label(r.get(0)), bold(r.get(0)), false, pct[0], pct[0], pct[4], pct));
                }
                charts.add(new Chart("delay-5-" + which, "Exit-to-event delay, 1,000 " + (which.equals("children")
                        ? "children of this JVM" : "processes not started by this JVM"), "ns", pts, true));
            }
        }
        for (String[] d : new String[][] {{"6l", "lateness-6"}, {"7", "wakeup-7"}}) {
            if (!tables.containsKey(d[0])) continue;
            List<Point> pts = new ArrayList<>();
            for (List<String> r : tables.get(d[0])) {
                double[] pct = {ns(r.get(1)), ns(r.get(2)), ns(r.get(3)), ns(r.get(4)), ns(r.get(5))};
                pts.add(new Point(label(r.get(0)), bold(r.get(0)), r.get(7).startsWith("1 (reference)"), pct[0], pct[0], pct[4], pct));
            }
            charts.add(new Chart(d[1], titles.get(d[0]), "ns", pts, true));
        }
        if (tables.containsKey("8")) {
            List<Point> pts = new ArrayList<>();
            for (List<String> r : tables.get("8")) {
                pts.add(new Point(label(r.get(0)), bold(r.get(0)), !bold(r.get(0)), bytes(r.get(1)), bytes(r.get(2)), bytes(r.get(3)), null));
            }
            charts.add(new Chart("memory-8", titles.get("8"), "bytes", pts, false));
        }
        return charts;
    }

    private static List<String> cells(String line) {
        String inner = line.substring(1, line.lastIndexOf('|'));
        List<String> out = new ArrayList<>();
        for (String c : inner.split("\\|", -1)) out.add(c.trim());
        return out;
    }

    private static boolean bold(String cell) { return cell.startsWith("**"); }

    private static String label(String cell) { return cell.replace("**", "").replace("`", ""); }

    private static String unitWords(String cell) {
        return cell.endsWith("/RT") ? "time per round trip" : cell.contains("/timer") ? "time per timer" : "time";
    }

    /** "75.6 ns/RT", "1.75 µs", "1.07 ms" to ns. */
    static double ns(String cell) {
        String[] p = cell.replace(",", "").trim().split("[ /]");
        double v = Double.parseDouble(p[0]);
        return switch (p[1]) {
            case "ns" -> v;
            case "µs", "us" -> v * 1e3;
            case "ms" -> v * 1e6;
            case "s" -> v * 1e9;
            default -> throw new IllegalArgumentException("unit of '" + cell + "'");
        };
    }

    private static double bytes(String cell) {
        return Double.parseDouble(cell.replace(",", "").replace("B", "").trim());
    }

    // ================================================================ drawing

    static void draw(List<Chart> charts, Path dir) throws IOException {
        draw(charts, dir, true);
    }

    /** Draws the charts; {@code clean}: first delete every PNG in {@code dir} (a full run's charts replace all). */
    static void draw(List<Chart> charts, Path dir, boolean clean) throws IOException {
        Files.createDirectories(dir);
        if (clean) {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) if (p.toString().endsWith(".png")) Files.delete(p);
            }
        }
        for (Chart c : charts) {
            if (c.points().isEmpty()) continue;
            ImageIO.write(render(c), "png", dir.resolve(c.name() + ".png").toFile());
        }
    }

    private static final int W = 1440, ROW = 34, TOP = 104, BOTTOM = 70, LEFT = 680, RIGHT = 170;

    static BufferedImage render(Chart c) {
        List<Point> pts = c.points();
        int h = TOP + ROW * pts.size() + BOTTOM;
        BufferedImage img = new BufferedImage(W, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, h);
        Font base = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
        g.setFont(base.deriveFont(Font.BOLD, 18f));
        g.setColor(TEXT);
        g.drawString(c.title(), 20, 30);

        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (Point p : pts) {
            lo = Math.min(lo, p.min());
            hi = Math.max(hi, p.max());
        }
        boolean log = hi / lo >= 20;
        Axis axis = log ? Axis.log(lo, hi) : Axis.linear(lo, hi);
        int x0 = LEFT, x1 = W - RIGHT, yTop = TOP, yBottom = TOP + ROW * pts.size();

        // grid and tick labels
        g.setFont(base.deriveFont(12f));
        FontMetrics fm = g.getFontMetrics();
        for (double t : axis.ticks) {
            int x = (int) Math.round(axis.pos(t, x0, x1));
            g.setColor(GRID);
            g.drawLine(x, yTop - 6, x, yBottom);
            g.setColor(TEXT);
            String s = tick(t, c.unit());
            g.drawString(s, x - fm.stringWidth(s) / 2, yBottom + 18);
        }
        String axisTitle = (c.unit().equals("bytes") ? "bytes per waiter" : c.unit().equals("req/s") ? "requests per second" : "time") + (log ? " (log scale)" : " (linear scale)")
                + (c.distribution() ? "" : "; dot = median, whisker = min–max") + "; ratio = to the row marked (reference)";
        g.drawString(axisTitle, x0 + (x1 - x0 - fm.stringWidth(axisTitle)) / 2, yBottom + 38);

        // legend, and the right column's header
        legend(g, base, c.distribution());
        g.setFont(base.deriveFont(Font.BOLD, 12f));
        g.setColor(TEXT);
        g.drawString(c.distribution() ? "p50 · ratio" : "median · ratio", x1 + 12, yTop - 12);

        for (int i = 0; i < pts.size(); i++) {
            Point p = pts.get(i);
            Point ref = referenceFor(pts, i);
            int y = yTop + ROW * i + ROW / 2;
            if (i % 2 == 1) {
                g.setColor(new Color(0xF7, 0xF7, 0xF7));
                g.fillRect(10, y - ROW / 2, W - 20, ROW);
                g.setColor(GRID);
                for (double t : axis.ticks) {
                    int x = (int) Math.round(axis.pos(t, x0, x1));
                    g.drawLine(x, y - ROW / 2, x, y + ROW / 2);
                }
            }
            Color col = p.kwait() ? KWAIT : PEER;
            g.setFont(p.kwait() ? base.deriveFont(Font.BOLD) : base);
            g.setColor(TEXT);
            String label = fit(g, p.label() + (p.reference() ? " (reference)" : ""), LEFT - 30);
            g.drawString(label, LEFT - 16 - g.getFontMetrics().stringWidth(label), y + 5);
            g.setColor(col);
            double xa = axis.pos(p.min(), x0, x1), xb = axis.pos(p.max(), x0, x1), xm = axis.pos(p.median(), x0, x1);
            g.setStroke(new BasicStroke(2.5f));
            g.draw(new Line2D.Double(xa, y, xb, y));
            if (c.distribution()) {
                double[] pct = p.pct();
                for (int k = 0; k < pct.length; k++) marker(g, k, axis.pos(pct[k], x0, x1), y, col);
            } else {
                g.draw(new Line2D.Double(xa, y - 7, xa, y + 7));
                g.draw(new Line2D.Double(xb, y - 7, xb, y + 7));
                g.fill(new Ellipse2D.Double(xm - 6, y - 6, 12, 12));
            }
            g.setStroke(new BasicStroke(1f));
            g.setFont(base.deriveFont(12f));
            g.setColor(TEXT);
            String right = tick(p.median(), c.unit()) + (ref != null && ref != p ? "  " + Report.ratio(p.median() / ref.median()) : "");
            g.drawString(right, x1 + 12, y + 5);
        }
        g.setColor(Color.GRAY);
        g.drawRect(x0, yTop - 6, x1 - x0, yBottom - yTop + 6);
        g.dispose();
        return img;
    }

    /** A table lists each group's reference after its rows (3a: per message size): the next one, else the last before. */
    private static Point referenceFor(List<Point> pts, int i) {
        for (int j = i; j < pts.size(); j++) if (pts.get(j).reference()) return pts.get(j);
        for (int j = i - 1; j >= 0; j--) if (pts.get(j).reference()) return pts.get(j);
        return null;
    }

    private static void legend(Graphics2D g, Font base, boolean distribution) {
        g.setFont(base);
        int x = 20, y = 62;
        for (int k = 0; k < 2; k++) {
            Color col = k == 0 ? KWAIT : PEER;
            g.setColor(col);
            g.fill(new Ellipse2D.Double(x, y - 10, 12, 12));
            g.setColor(TEXT);
            String s = k == 0 ? "kwait (bold labels)" : "peers: what users would use instead";
            g.drawString(s, x + 18, y + 1);
            x += 18 + g.getFontMetrics().stringWidth(s) + 30;
        }
        if (distribution) {
            for (int k = 0; k < PCT_NAMES.length; k++) {
                marker(g, k, x + 6, y - 4, TEXT);
                g.setColor(TEXT);
                g.drawString(PCT_NAMES[k], x + 16, y + 1);
                x += 24 + g.getFontMetrics().stringWidth(PCT_NAMES[k]) + 14;
            }
            g.drawString("(median over runs; max = worst run)", x, y + 1);
        }
    }

    /** A distinct shape per percentile: circle, diamond, triangle, square, cross. */
    private static void marker(Graphics2D g, int k, double x, double y, Color col) {
        g.setColor(col);
        double r = 6;
        switch (k) {
            case 0 -> g.fill(new Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r));
            case 1 -> g.fill(poly(x, y - r - 1, x + r + 1, y, x, y + r + 1, x - r - 1, y));
            case 2 -> g.fill(poly(x, y - r - 1, x + r + 1, y + r, x - r - 1, y + r));
            case 3 -> g.fill(new Rectangle2D.Double(x - r + 1, y - r + 1, 2 * r - 2, 2 * r - 2));
            default -> {
                g.setStroke(new BasicStroke(2.5f));
                g.draw(new Line2D.Double(x - r, y - r, x + r, y + r));
                g.draw(new Line2D.Double(x - r, y + r, x + r, y - r));
            }
        }
    }

    private static Path2D poly(double... xy) {
        Path2D p = new Path2D.Double();
        p.moveTo(xy[0], xy[1]);
        for (int i = 2; i < xy.length; i += 2) p.lineTo(xy[i], xy[i + 1]);
        p.closePath();
        return p;
    }

    private static String fit(Graphics2D g, String s, int width) {
        FontMetrics fm = g.getFontMetrics();
        if (fm.stringWidth(s) <= width) return s;
        while (s.length() > 4 && fm.stringWidth(s + "…") > width) s = s.substring(0, s.length() - 1);
        return s + "…";
    }

    private static String tick(double v, String unit) {
        if (unit.equals("bytes")) return String.format(Locale.ROOT, "%,.0f B", v);
        if (unit.equals("req/s")) return String.format(Locale.ROOT, "%,.0f", v);
        // compact: "1 s" not "1000.00 ms", "10 ms" not "10.00 ms" (log-axis ticks sit close together)
        if (v >= 1e9) return String.format(Locale.ROOT, "%.2f", v / 1e9).replaceAll("\\.?0+$", "") + " s";
        return Report.fmt(v, "ns").replaceAll("\\.0+ ", " ");
    }

    /** A value axis: linear with 1-2-5 steps, or logarithmic with 1-2-5 ticks per decade. */
    private static final class Axis {
        final double lo, hi;
        final boolean log;
        final List<Double> ticks = new ArrayList<>();

        private Axis(double lo, double hi, boolean log) {
            this.lo = lo;
            this.hi = hi;
            this.log = log;
        }

        static Axis linear(double lo, double hi) {
            double span = Math.max(hi - lo, Math.abs(hi) * 0.02);
            double step = niceStep(span / 6);
            double a = Math.floor((lo - span * 0.05) / step) * step;
            if (a < 0 || lo - a > span) a = Math.max(0, a);
            double b = Math.ceil((hi + span * 0.05) / step) * step;
            Axis ax = new Axis(a, b, false);
            for (double t = a; t <= b + step / 2; t += step) ax.ticks.add(t);
            return ax;
        }

        static Axis log(double lo, double hi) {
            double a = Math.pow(10, Math.floor(Math.log10(lo))), b = Math.pow(10, Math.ceil(Math.log10(hi)));
            Axis ax = new Axis(a, b, true);
            int decades = (int) Math.round(Math.log10(b / a));
            for (double d = a; d <= b * 1.0001; d *= 10) {
                ax.ticks.add(d);
                if (decades <= 3 && d * 10 <= b * 1.0001) {
                    ax.ticks.add(2 * d);
                    ax.ticks.add(5 * d);
                }
            }
            return ax;
        }

        static double niceStep(double raw) {
            double p = Math.pow(10, Math.floor(Math.log10(raw)));
            double m = raw / p;
            return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
        }

        double pos(double v, int x0, int x1) {
            double f = log ? (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (v - lo) / (hi - lo);
            return x0 + f * (x1 - x0);
        }
    }

    /** Redraws bench/charts from a BENCHMARKS.md: {@code Charts BENCHMARKS.md bench/charts}. */
    public static void main(String[] args) throws IOException {
        draw(fromMarkdown(Path.of(args[0])), Path.of(args[1]));
    }
}
