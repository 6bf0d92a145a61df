package io.kwait.core;

import io.kwait.spi.Availability;
import io.kwait.spi.BackendProvider;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Backend discovery: the installed {@link BackendProvider}s (ServiceLoader on the module path,
 * then the class path), best first, and the choice for {@code Kernel.open}: a named backend, or
 * the best available one. A named backend that is not available is an error with its reason,
 * never a silent fallback.
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger("io.kwait");
    private static volatile boolean loggedChoice;

    private Backends() {}

    /** Every installed provider, highest priority first. */
    public static List<BackendProvider> installed() {
        List<BackendProvider> list = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(list::add);
        if (list.isEmpty()) ServiceLoader.load(BackendProvider.class).forEach(list::add);
        list.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
        return list;
    }

    /**
     * The provider named {@code name} (any case), or with {@code name == null} the best available
     * one of non-negative priority.
     *
     * @throws IllegalArgumentException no backend has that name (the message lists those installed)
     * @throws IllegalStateException    none is installed, or the chosen one is not available (with the reason)
     */
    public static BackendProvider choose(String name) {
        List<BackendProvider> all = installed();
        if (all.isEmpty()) {
            throw new IllegalStateException("no kwait backend on the class path or module path; add kwait-backend-select "
                    + "(portable) or kwait-backend-native");
        }
        if (name != null) {
            for (BackendProvider p : all) {
                if (p.name().equalsIgnoreCase(name)) {
                    Availability a = p.availability();
                    if (!a.available()) {
                        throw new IllegalStateException("backend '" + p.name() + "' is not available here: " + a.reason());
                    }
                    return p;
                }
            }
            List<String> names = all.stream().map(BackendProvider::name).toList();
            throw new IllegalArgumentException("no backend named '" + name + "'; installed: " + names);
        }
        StringBuilder skipped = new StringBuilder();
        for (BackendProvider p : all) {
            if (p.priority() < 0) continue; // simulations and test doubles are never picked by themselves
            Availability a = p.availability();
            if (a.available()) {
                if (!loggedChoice) {
                    loggedChoice = true;
                    LOG.log(System.Logger.Level.DEBUG, "kwait: using backend {0}{1}", p.name(),
                            skipped.isEmpty() ? "" : " (" + skipped + ")");
                    if (!skipped.isEmpty()) {
                        LOG.log(System.Logger.Level.INFO, "kwait: using backend {0}; {1}", p.name(), skipped);
                    }
                }
                return p;
            }
            skipped.append(p.name()).append(" unavailable: ").append(a.reason()).append("; ");
        }
        throw new IllegalStateException("no kwait backend is available here: " + skipped);
    }
}
