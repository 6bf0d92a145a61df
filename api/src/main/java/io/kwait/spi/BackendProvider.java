package io.kwait.spi;

import java.io.IOException;

/**
 * Service interface through which {@code Kernel.open()} finds backends ({@link java.util.ServiceLoader}).
 * Register an implementation with {@code provides io.kwait.spi.BackendProvider with ...} in
 * {@code module-info} and in {@code META-INF/services/io.kwait.spi.BackendProvider} for class-path use.
 */
public interface BackendProvider {
    /** Backend name, lower case: {@code select}, {@code epoll}, {@code kqueue}. */
    String name();

    /**
     * Preference for automatic selection; the available provider with the highest value wins.
     * The portable select backend uses 0; native backends on their own OS use more.
     * A provider that must never be picked automatically (a simulation) returns a negative value.
     */
    int priority();

    /** Probes whether a backend can be opened here; never throws. */
    Availability availability();

    /** Opens a new backend instance. */
    Backend open() throws IOException;
}
