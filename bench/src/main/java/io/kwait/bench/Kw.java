package io.kwait.bench;

/** Names of kwait figures: backend and scheduler strand (set by the harness through -Dkwait.scheduler). */
final class Kw {
    private Kw() {}

    static String strand() {
        String s = System.getProperty("kwait.scheduler", "").trim();
        return s.isEmpty() ? "auto" : s;
    }

    static String shortStrand() {
        return switch (strand()) {
            case "continuation" -> "cont";
            case "virtual" -> "vt";
            default -> "auto";
        };
    }

    /** {@code kwait-BACKEND-STRAND[-suffix]}. */
    static String key(String backend, Object suffix) {
        return "kwait-" + backend + "-" + shortStrand() + (suffix == null ? "" : "-" + suffix);
    }

    /** {@code kwait BACKEND/STRAND}. */
    static String name(String backend) {
        return "kwait " + backend + "/" + strand();
    }
}
