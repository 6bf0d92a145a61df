package io.kwait.core;

import java.util.Arrays;

/**
 * Binary min-heap of deadlines on the kernel's monotonic clock, with O(log n) removal through the
 * index each timer keeps (a wait that ends removes its timers at once, so cancelled timers never
 * pile up). Touched only by the kernel's owner thread.
 */
final class TimerHeap {

    /** One scheduled deadline. */
    static final class Timer {
        final long deadline;
        final Runnable action;
        int index = -1;
        long seq;

        Timer(long deadline, Runnable action) {
            this.deadline = deadline;
            this.action = action;
        }
    }

    private Timer[] heap = new Timer[16];
    private int size;
    private long seq; // ties fire in insertion order

    int size() { return size; }

    Timer add(long deadline, Runnable action) {
        Timer n = new Timer(deadline, action);
        n.seq = seq++;
        if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
        heap[size] = n;
        n.index = size;
        siftUp(size++);
        return n;
    }

    void remove(Timer n) {
        int i = n.index;
        if (i < 0) return;
        n.index = -1;
        Timer last = heap[--size];
        heap[size] = null;
        if (i == size) return;
        heap[i] = last;
        last.index = i;
        siftDown(i);
        siftUp(last.index);
    }

    /** Earliest deadline, or {@code Long.MAX_VALUE} when empty. */
    long nextDeadline() { return size == 0 ? Long.MAX_VALUE : heap[0].deadline; }

    /** Removes and runs every timer due at {@code now}, in deadline then insertion order. */
    void runDue(long now) {
        while (size > 0 && heap[0].deadline - now <= 0) {
            Timer n = heap[0];
            remove(n);
            n.action.run();
        }
    }

    void clear() {
        for (int i = 0; i < size; i++) { heap[i].index = -1; heap[i] = null; }
        size = 0;
    }

    private boolean less(Timer a, Timer b) {
        long d = a.deadline - b.deadline;
        return d < 0 || (d == 0 && a.seq < b.seq);
    }

    private void siftUp(int i) {
        Timer n = heap[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            Timer parent = heap[p];
            if (!less(n, parent)) break;
            heap[i] = parent;
            parent.index = i;
            i = p;
        }
        heap[i] = n;
        n.index = i;
    }

    private void siftDown(int i) {
        Timer n = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int c = 2 * i + 1;
            int r = c + 1;
            if (r < size && less(heap[r], heap[c])) c = r;
            if (!less(heap[c], n)) break;
            heap[i] = heap[c];
            heap[i].index = i;
            i = c;
        }
        heap[i] = n;
        n.index = i;
    }
}
