package io.kwait.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One measured figure from one JVM: the scenario, a stable key, a label, who it is (a kwait
 * backend or a peer), the unit and its samples, plus named extras. Child JVMs print rows as one
 * line each ({@link #encode()}); the harness parses them back ({@link #decode(String)}).
 *
 * <p>Kinds of samples: {@code batch}: per-operation figures of timed batches (median, min, max
 * over all batches of all JVMs); {@code dist}: raw samples of a latency distribution (each JVM's
 * percentiles, then the median over JVMs); {@code value}: one value per JVM.
 */
public final class Row {
    public static final String PREFIX = "@ROW\t";

    public String scenario;
    public String key;
    public String label;
    /** "kwait" or "peer". */
    public String who;
    /** Backend name for kwait rows, else "". */
    public String backend = "";
    public String unit;
    public String kind;
    public double[] samples = new double[0];
    public final Map<String, String> extra = new LinkedHashMap<>();

    public Row() {}

    public Row(String scenario, String key, String label, String who, String backend, String unit, String kind, double[] samples) {
        this.scenario = scenario;
        this.key = key;
        this.label = label;
        this.who = who;
        this.backend = backend == null ? "" : backend;
        this.unit = unit;
        this.kind = kind;
        this.samples = samples;
    }

    public boolean isKwait() { return "kwait".equals(who); }

    public Row put(String k, Object v) {
        extra.put(k, String.valueOf(v));
        return this;
    }

    public String encode() {
        StringBuilder sb = new StringBuilder(PREFIX);
        field(sb, "scenario", scenario);
        field(sb, "key", key);
        field(sb, "label", label);
        field(sb, "who", who);
        field(sb, "backend", backend);
        field(sb, "unit", unit);
        field(sb, "kind", kind);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < samples.length; i++) {
            if (i > 0) s.append(',');
            s.append(String.format(Locale.ROOT, "%.1f", samples[i]));
        }
        field(sb, "samples", s.toString());
        for (Map.Entry<String, String> e : extra.entrySet()) field(sb, "x." + e.getKey(), e.getValue());
        return sb.toString();
    }

    private static void field(StringBuilder sb, String k, String v) {
        sb.append(k).append('=').append(clean(v)).append('\t');
    }

    private static String clean(String v) {
        return v == null ? "" : v.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    public static Row decode(String line) {
        if (!line.startsWith(PREFIX)) throw new IllegalArgumentException("not a row: " + line);
        Row r = new Row();
        for (String part : line.substring(PREFIX.length()).split("\t")) {
            if (part.isEmpty()) continue;
            int eq = part.indexOf('=');
            String k = part.substring(0, eq);
            String v = part.substring(eq + 1);
            switch (k) {
                case "scenario" -> r.scenario = v;
                case "key" -> r.key = v;
                case "label" -> r.label = v;
                case "who" -> r.who = v;
                case "backend" -> r.backend = v;
                case "unit" -> r.unit = v;
                case "kind" -> r.kind = v;
                case "samples" -> {
                    List<Double> d = new ArrayList<>();
                    if (!v.isEmpty()) for (String x : v.split(",")) d.add(Double.parseDouble(x));
                    r.samples = d.stream().mapToDouble(Double::doubleValue).toArray();
                }
                default -> {
                    if (k.startsWith("x.")) r.extra.put(k.substring(2), v);
                }
            }
        }
        return r;
    }
}
