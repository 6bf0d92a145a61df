package io.kwait;

import io.kwait.core.Suspension;
import io.kwait.core.TaskCore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/**
 * A scope that owns child tasks: they cannot outlive it, and a child's failure reaches the task
 * that opened it. When a child fails, its siblings are cancelled; {@link #join()} then throws the
 * failure, and {@link #close()} throws it if {@code join} did not.
 *
 * <pre>{@code
 * try (TaskScope scope = TaskScope.open()) {
 *     Task<String> a = scope.spawn(() -> fetch("a"));
 *     Task<String> b = scope.spawn(() -> fetch("b"));
 *     scope.join();                     // both done, or the first failure thrown (the other cancelled)
 *     return a.resultNow() + b.resultNow();
 * }                                      // close(): cancels and waits for what is still running
 * }</pre>
 *
 * Use from the task that opened it only.
 */
public final class TaskScope implements AutoCloseable {
    private final Task<?> openedBy;
    private final List<Task<?>> children = new ArrayList<>();
    private Throwable failure;
    private boolean failureThrown;
    private boolean closed;

    private TaskScope(Task<?> openedBy) { this.openedBy = openedBy; }

    /**
     * Opens a scope; the current task is the one that may use it.
     *
     * @throws IllegalStateException outside a task
     */
    public static TaskScope open() {
        if (!Task.inTask()) throw new IllegalStateException("TaskScope.open() must be called inside a kwait task");
        return new TaskScope(Task.current());
    }

    /** Spawns a child task owned by this scope. */
    public <T> Task<T> spawn(Callable<T> body) {
        return spawn(null, body);
    }

    /** Spawns a named child task owned by this scope. */
    public <T> Task<T> spawn(String name, Callable<T> body) {
        checkOpener();
        if (closed) throw new IllegalStateException("the scope is closed");
        if (failure != null) throw new IllegalStateException("a child of this scope failed; no new children: " + failure);
        Task<T> t = openedBy.scheduler().spawnIn(name, body, this);
        children.add(t);
        return t;
    }

    /**
     * Waits until every child has finished.
     *
     * @throws ExecutionException     a child failed (the cause); the others were cancelled and have finished
     * @throws TaskCancelledException the task that opened it was cancelled (children are cancelled by {@link #close()})
     */
    public void join() throws InterruptedException, ExecutionException {
        checkOpener();
        for (int i = 0; i < children.size(); i++) {
            Task<?> c = children.get(i);
            try {
                c.join();
            } catch (ExecutionException | TaskCancelledException e) {
                if (openedBy.core.isCancelRequested()) throw openedBy.core.cancelledException();
                // the failure (or a sibling's cancellation) is handled below
            }
        }
        if (failure != null) {
            failureThrown = true;
            throw new ExecutionException("a child task failed: " + failure, failure);
        }
    }

    /**
     * Cancels every child still running, waits for all of them (even if the task that opened it is
     * being cancelled), and throws a child's failure that {@link #join()} did not throw.
     *
     * @throws ChildFailedException a child failed and {@code join()} did not report it
     */
    @Override
    public void close() {
        checkOpener();
        if (closed) return;
        closed = true;
        for (Task<?> c : children) c.cancel();
        for (Task<?> c : children) {
            if (c.isDone()) continue;
            Suspension s = new Suspension();
            c.core.addDoneCallback(s::wake);
            s.awaitUninterruptibly();
        }
        if (failure != null && !failureThrown) {
            failureThrown = true;
            throw new ChildFailedException(failure);
        }
    }

    void childFailed(Task<?> child, Throwable error) {
        if (failure != null) return;
        failure = error;
        for (Task<?> c : children) if (c != child) c.cancel();
    }

    private void checkOpener() {
        if (TaskCore.current() != openedBy.core) throw new IllegalStateException("a TaskScope may be used only by the task that opened it");
    }

    /** Thrown by {@link TaskScope#close()} when a child failed and no {@code join()} reported it. */
    public static final class ChildFailedException extends RuntimeException {
        ChildFailedException(Throwable cause) { super("a child task failed: " + cause, cause); }
    }
}
