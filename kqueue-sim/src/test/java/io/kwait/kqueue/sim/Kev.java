package io.kwait.kqueue.sim;

import io.kwait.nativeio.Memory;
import io.kwait.nativeio.kqueue.KeventLayout;
import io.kwait.nativeio.kqueue.KqueueBinding;

import java.util.ArrayList;
import java.util.List;

/** Test helper: builds change lists and reads event lists in native memory through a layout. */
final class Kev {
    /** One decoded kevent. */
    record E(long ident, int filter, int flags, int fflags, long data, long udata) {}

    final KeventLayout layout;
    final Memory changes;
    final Memory events;
    final Memory timespec = new Memory(KeventLayout.TIMESPEC_SIZE);
    int n;

    Kev(KeventLayout layout, int capacity) {
        this.layout = layout;
        this.changes = new Memory(capacity * layout.size());
        this.events = new Memory(capacity * layout.size());
    }

    Kev add(long ident, int filter, int flags, int fflags, long data, long udata) {
        layout.put(changes.bytes, n++, ident, filter, flags, fflags, data, udata);
        return this;
    }

    /** Address of a timespec of {@code nanos}; {@code nanos < 0}: NULL. */
    long timeout(long nanos) {
        if (nanos < 0) return 0;
        KeventLayout.putTimespec(timespec.bytes, 0, nanos);
        return timespec.address;
    }

    /** kevent(kq, changes, n, events, room, timeout); the change list is emptied. */
    int call(KqueueBinding b, int kq, int room, long timeoutNanos) {
        int r = b.kevent(kq, changes.address, n, events.address, room, timeout(timeoutNanos));
        n = 0;
        return r;
    }

    List<E> read(int count) {
        List<E> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new E(layout.ident(events.bytes, i), layout.filter(events.bytes, i), layout.flags(events.bytes, i),
                    layout.fflags(events.bytes, i), layout.data(events.bytes, i), layout.udata(events.bytes, i)));
        }
        return out;
    }
}
