package io.kwait;

import java.util.concurrent.CancellationException;

/**
 * Thrown inside a cancelled task at the point where it waits (or would wait next), and by
 * {@link Task#join()} on a cancelled task. A task body may catch it to clean up, but should let
 * it propagate.
 */
public final class TaskCancelledException extends CancellationException {
    TaskCancelledException(String message) { super(message); }
}
