package io.kwait.select;

import io.kwait.spi.Availability;
import io.kwait.spi.Backend;
import io.kwait.spi.BackendProvider;

import java.io.IOException;
import java.nio.channels.Selector;
import java.util.ServiceConfigurationError;

/**
 * Makes the {@link SelectBackend} known to {@code Kernel.open()} through
 * {@link java.util.ServiceLoader}. Priority 0: it runs everywhere, so it is the fallback that
 * native backends (higher priority on their own OS) beat when they are available.
 *
 * <p>Availability is probed once, lazily, by opening and closing a {@link Selector}; the result is
 * cached. A JDK without a working default {@code SelectorProvider} is the only way to fail it.
 */
public final class SelectBackendProvider implements BackendProvider {

    /** Cached probe result; null until the first {@link #availability()} call. */
    private volatile Availability availability;

    /** Public no-argument constructor, as {@link java.util.ServiceLoader} needs on the class path. */
    public SelectBackendProvider() {
    }

    @Override
    public String name() {
        return SelectBackend.NAME;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Availability availability() {
        Availability a = availability;
        if (a == null) {
            a = probe();
            availability = a; // a race probes twice at worst; both probes give the same answer
        }
        return a;
    }

    private static Availability probe() {
        try {
            Selector.open().close();
            return Availability.yes();
        } catch (IOException | RuntimeException | ServiceConfigurationError e) {
            // ServiceConfigurationError: a -Djava.nio.channels.spi.SelectorProvider that fails to load.
            return Availability.no("java.nio.channels.Selector.open() failed (" + e
                    + "); the JDK's default SelectorProvider is not usable here, and no other"
                    + " backend is portable: check -Djava.nio.channels.spi.SelectorProvider and"
                    + " the process's file descriptor limit (ulimit -n)");
        }
    }

    @Override
    public Backend open() throws IOException {
        return new SelectBackend();
    }

    @Override
    public String toString() {
        return "SelectBackendProvider[select, priority 0]";
    }
}
