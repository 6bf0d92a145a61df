package io.kwait;

/** Thrown by {@link Kernel#wait} on a kernel that is closed (or closed while waiting). */
public final class ClosedKernelException extends IllegalStateException {
    ClosedKernelException(String message) { super(message); }
}
