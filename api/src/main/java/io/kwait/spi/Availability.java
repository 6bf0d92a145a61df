package io.kwait.spi;

import java.util.Objects;

/**
 * Whether a {@link BackendProvider} can open a backend here, and if not, why (wrong OS, kernel
 * too old, native library missing, JDK internals not exported ...). Probing never throws.
 *
 * @param available whether {@link BackendProvider#open()} is expected to succeed
 * @param reason    why not, in words that name the way out; empty when available
 */
public record Availability(boolean available, String reason) {
    public Availability {
        Objects.requireNonNull(reason, "reason");
    }

    /** Available. */
    public static Availability yes() { return new Availability(true, ""); }

    /** Not available, because {@code reason}. */
    public static Availability no(String reason) { return new Availability(false, reason); }
}
