package io.kwait.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --splice}: puts the scenarios of one run ({@code --only=...}) into an existing
 * BENCHMARKS.md instead of rewriting it, so a new or re-measured scenario does not need the whole
 * ~25-minute run. The report of the run ({@code part}) gives each scenario's section, its rows of
 * "Targets at a glance" and its notes under "Where targets are missed"; everything else of the
 * existing file stays, and its header gets one line saying when and how the spliced scenarios were
 * measured (the machine lines above it are the full run's).
 */
final class Splice {
    private Splice() {}

    private static final Pattern SECTION = Pattern.compile("^## ([0-9]+[a-z]?)\\. .*");
    private static final Pattern GLANCE_ROW = Pattern.compile("^\\| ([0-9]+[a-z]?) \\| (.*) \\| ([0-9]+) \\| ([0-9]+) \\|$");
    private static final Pattern IN_ALL = Pattern.compile("^In all: ([0-9]+) checks met, ([0-9]+) not met, ([0-9]+) not checkable here\\.$");

    static void into(Path existing, Path part, Set<String> scenarios, String command, String date, double minutes, String load) throws IOException {
        List<String> old = Files.readAllLines(existing, StandardCharsets.UTF_8);
        List<String> neu = Files.readAllLines(part, StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>();

        // Header: the file's first line, then one line per spliced run (replacing an earlier one for the same scenarios).
        String tag = "Scenario" + (scenarios.size() > 1 ? "s " : " ") + String.join(", ", scenarios) + " measured separately";
        int i = 0;
        while (i < old.size() && !old.get(i).startsWith("Written by")) out.add(old.get(i++));
        if (i < old.size()) out.add(old.get(i++));
        out.add("");
        while (i < old.size() && (old.get(i).isEmpty() || old.get(i).startsWith("Scenario"))) {
            if (!old.get(i).isEmpty() && !old.get(i).startsWith(tag)) {
                out.add(old.get(i));
                out.add("");
            }
            i++;
        }
        out.add(String.format(Locale.ROOT, "%s: `%s` on %s (%.1f min; load average before each figure: %s); the machine table below is the full run's.",
                tag, command, date, minutes, load));
        out.add("");

        List<String> newSections = new ArrayList<>(), newGlance = new ArrayList<>(), newMissed = new ArrayList<>();
        int[] newCounts = collect(neu, scenarios, newSections, newGlance, newMissed);

        String where = null; // which part of the old file we are in
        boolean inserted = false, missedDone = false, skipping = false, sawMissed = false;
        long met = 0, missed = 0;
        int notCheckable = newCounts[2];
        for (; i < old.size(); i++) {
            String line = old.get(i);
            Matcher sec = SECTION.matcher(line);
            if (line.startsWith("## ")) {
                skipping = false;
                where = line;
                if (sec.matches() && scenarios.contains(sec.group(1))) {
                    skipping = true; // replaced by the new section
                    continue;
                }
                boolean later = sec.matches() && BenchMain.ALL.indexOf(sec.group(1).replaceAll("[a-z]$", "")) > maxIndex(scenarios);
                if (!inserted && (later || !sec.matches()) && !line.startsWith("## Targets") && !line.startsWith("## Method")) {
                    out.addAll(newSections);
                    inserted = true;
                }
                if (line.startsWith("## Not measured") && !missedDone && !newMissed.isEmpty()) {
                    if (!sawMissed) {
                        out.add("## Where targets are missed");
                        out.add("");
                    }
                    out.addAll(newMissed);
                    missedDone = true;
                }
                if (line.startsWith("## Where targets are missed")) sawMissed = true;
                out.add(line);
                continue;
            }
            if (skipping) continue;
            if (where != null && where.startsWith("## Targets")) {
                Matcher g = GLANCE_ROW.matcher(line);
                if (g.matches()) {
                    if (scenarios.contains(g.group(1).replaceAll("[a-z]$", "")) || scenarios.contains(g.group(1))) continue;
                    met += Long.parseLong(g.group(3));
                    missed += Long.parseLong(g.group(4));
                    out.add(line);
                    continue;
                }
                if (line.isEmpty() && !out.isEmpty() && out.get(out.size() - 1).startsWith("|")) {
                    for (String r : newGlance) {
                        Matcher n = GLANCE_ROW.matcher(r);
                        if (n.matches()) {
                            met += Long.parseLong(n.group(3));
                            missed += Long.parseLong(n.group(4));
                        }
                        out.add(r);
                    }
                }
                Matcher all = IN_ALL.matcher(line);
                if (all.matches()) {
                    // Checks the glance table cannot show (no peer measured): the old run's plus this run's.
                    notCheckable += Integer.parseInt(all.group(3));
                    out.add(String.format(Locale.ROOT, "In all: %d checks met, %d not met, %d not checkable here.", met, missed, notCheckable));
                    continue;
                }
                out.add(line);
                continue;
            }
            if (where != null && where.startsWith("## Where targets are missed") && line.startsWith("### ")) {
                String sc = line.substring(4, line.indexOf(':'));
                if (scenarios.contains(sc)) {
                    // drop the old note of a spliced scenario, up to the next "###" or "##"
                    while (i + 1 < old.size() && !old.get(i + 1).startsWith("#")) i++;
                    continue;
                }
            }
            if (where != null && where.startsWith("## Where targets are missed") && !missedDone
                    && (i + 1 == old.size() || old.get(i + 1).startsWith("## "))) {
                out.add(line);
                out.addAll(newMissed);
                missedDone = true;
                continue;
            }
            out.add(line);
        }
        if (!inserted) out.addAll(newSections);
        Files.writeString(existing, String.join("\n", out) + "\n", StandardCharsets.UTF_8);
    }

    private static int maxIndex(Set<String> scenarios) {
        int m = -1;
        for (String s : scenarios) m = Math.max(m, BenchMain.ALL.indexOf(s));
        return m;
    }

    /** The spliced scenarios' sections, glance rows and missed-target notes of the new report; returns {met, not met, not checkable}. */
    private static int[] collect(List<String> md, Set<String> scenarios, List<String> sections, List<String> glance, List<String> missedNotes) {
        String where = "";
        boolean take = false;
        int[] counts = new int[3];
        for (int i = 0; i < md.size(); i++) {
            String line = md.get(i);
            if (line.startsWith("## ")) {
                where = line;
                Matcher sec = SECTION.matcher(line);
                take = sec.matches() && scenarios.contains(sec.group(1));
                if (take) sections.add(line);
                continue;
            }
            if (take) {
                sections.add(line);
                continue;
            }
            if (where.startsWith("## Targets")) {
                Matcher g = GLANCE_ROW.matcher(line);
                if (g.matches()) glance.add(line);
                Matcher all = IN_ALL.matcher(line);
                if (all.matches()) counts[2] = Integer.parseInt(all.group(3));
            }
            if (where.startsWith("## Where targets are missed") && line.startsWith("### ")) {
                String sc = line.substring(4, line.indexOf(':'));
                if (!scenarios.contains(sc)) continue;
                missedNotes.add(line);
                while (i + 1 < md.size() && !md.get(i + 1).startsWith("#")) missedNotes.add(md.get(++i));
            }
        }
        return counts;
    }
}
