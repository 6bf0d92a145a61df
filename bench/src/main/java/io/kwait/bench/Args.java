package io.kwait.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code key=value} arguments of a child figure run. */
public final class Args {
    private final Map<String, String> map = new LinkedHashMap<>();

    public static Args parse(List<String> list) {
        Args a = new Args();
        for (String s : list) {
            int eq = s.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("argument '" + s + "' is not key=value");
            a.map.put(s.substring(0, eq), s.substring(eq + 1));
        }
        return a;
    }

    public String str(String k, String dflt) { return map.getOrDefault(k, dflt); }

    public String str(String k) {
        String v = map.get(k);
        if (v == null) throw new IllegalArgumentException("missing argument " + k);
        return v;
    }

    public int integer(String k, int dflt) { return map.containsKey(k) ? Integer.parseInt(map.get(k)) : dflt; }

    public long lng(String k, long dflt) { return map.containsKey(k) ? Long.parseLong(map.get(k)) : dflt; }

    public Batches batches() {
        return new Batches(lng("warmupMs", 2000), lng("batchMs", 400), integer("batches", 8));
    }
}
