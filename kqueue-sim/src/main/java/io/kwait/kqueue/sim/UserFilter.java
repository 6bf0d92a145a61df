/*
 * Facts about EVFILT_USER that shape the simulation's user filter (numbered with the others,
 * listed in SimulatedKqueue.java).
 *
 * 5. EVFILT_USER: NOTE_TRIGGER, NOTE_FFNOP/FFAND/FFOR/FFCOPY on the stored 24 bits, data stored;
 *    EV_CLEAR resets it on delivery (FreeBSD filt_usertouch). A trigger from another thread writes
 *    the eventfd, which makes a blocked kevent() return and the kqueue fd readable; so does every
 *    knote that becomes pending outside epoll, and a scan that leaves one pending, since a real
 *    kqueue fd polls readable while it has events (a JDK Selector may watch it: KeventWait).
 */
package io.kwait.kqueue.sim;

import io.kwait.nativeio.kqueue.KqueueConstants;
import java.nio.ByteBuffer;

/** EVFILT_USER of one simulated kqueue: the stored flags and data of each user event (fact 5). */
final class UserFilter {
    private final SimulatedQueue q;

    UserFilter(SimulatedQueue q) {
        this.q = q;
    }

    int attachUser(Knote kn, int fflags, long data) {
        kn.userFflags = 0;
        touchUser(kn, fflags, data, 0);
        return 0;
    }

    /** FreeBSD filt_usertouch(EVENT_REGISTER). */
    void touchUser(Knote kn, int fflags, long data, int flags) {
        KqueueConstants.Notes n = q.k.notes();
        if ((fflags & n.trigger()) != 0) kn.active = true;
        int ctrl = fflags & n.ffctrlMask();
        int bits = fflags & n.fflagsMask();
        if (ctrl == n.ffand()) kn.userFflags &= bits;
        else if (ctrl == n.ffor()) kn.userFflags |= bits;
        else if (ctrl == n.ffcopy()) kn.userFflags = bits;
        kn.userData = data;
        if ((flags & q.k.flags().clear()) != 0) {
            kn.active = false;
            kn.userFflags = 0;
            kn.userData = 0;
        }
    }

    int deliverUser(Knote kn, ByteBuffer out, int n) {
        q.layout.put(out, n, kn.ident, kn.filter, kn.flags, kn.userFflags, kn.userData, kn.udata);
        if ((kn.flags & q.k.flags().clear()) != 0) {
            kn.active = false;
            kn.userFflags = 0;
            kn.userData = 0;
        } else {
            q.pending.add(kn); // still triggered: level, reported again
        }
        q.afterDelivery(kn);
        return n + 1;
    }
}
