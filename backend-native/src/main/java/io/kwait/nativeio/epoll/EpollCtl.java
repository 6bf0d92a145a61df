/*
 * Facts about epoll that shape this file: the epoll_ctl calls. The epoll backend's facts are
 * numbered across its files; the index is at the top of EpollBackend.java, and a fact cited here
 * without a file is one of this file's.
 *
 * 1. One fd per kernel object, level-triggered. Each watched fd is one epoll item whose 64-bit data
 *    is its descriptor's tag in the DescriptorTable (generation << 32 | slot; table fact 1). A new
 *    generation is taken whenever an item is ADDed, so an event still queued for an fd that was
 *    closed and whose number was reused by a new registration carries an old generation and is
 *    dropped instead of being delivered to the new owner (the Go netpoller's sequence tag).
 *    The eventfd's data is 0, which no descriptor's tag is.
 *
 * 4. "Silent" is not EPOLL_CTL_MOD with 0 events: the kernel always adds EPOLLERR|EPOLLHUP to an
 *    item's mask, so a hung-up socket with "no interest" still makes every epoll_wait return at
 *    once (a busy loop while the program waits on something else; a unit test shows the kernel
 *    doing it). Interest 0 therefore removes the item (EPOLL_CTL_DEL) and keeps our bookkeeping;
 *    the next non-zero interest ADDs it again. Both cost one syscall; an unchanged interest none.
 *
 * 7. Regular files and directories are refused by epoll_ctl with EPERM (they are always "ready").
 *    That is a misuse of the call, not a failure of a resource, so register() throws
 *    IllegalArgumentException saying so, and the core rejects the wait. A closed fd (EBADF) is a
 *    resource error: IOException (ClosedChannelException for a channel).
 */
package io.kwait.nativeio.epoll;

import io.kwait.nativeio.DescriptorTable;
import io.kwait.nativeio.LibCRuntime;
import io.kwait.nativeio.Memory;
import io.kwait.nativeio.Owner;
import io.kwait.nativeio.SourceChecks;
import io.kwait.nativeio.binding.LibC;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;

import static io.kwait.nativeio.epoll.Linux.EBADF;
import static io.kwait.nativeio.epoll.Linux.EEXIST;
import static io.kwait.nativeio.epoll.Linux.ENOENT;
import static io.kwait.nativeio.epoll.Linux.EPOLL_CTL_ADD;
import static io.kwait.nativeio.epoll.Linux.EPOLL_CTL_DEL;
import static io.kwait.nativeio.epoll.Linux.EPOLL_CTL_MOD;

/** The epoll backend's changes: brings the kernel's items in line with the descriptors' interest. */
final class EpollCtl {
    private final LibC libc;
    private final int epfd;
    private final EpollEventLayout layout;
    private final DescriptorTable<EpollItem> table;
    private final Memory ctlEvent = new Memory(16);

    EpollCtl(LibC libc, int epfd, EpollEventLayout layout, DescriptorTable<EpollItem> table) {
        this.libc = libc;
        this.epfd = epfd;
        this.layout = layout;
        this.table = table;
    }

    /** Brings the kernel's item for {@code e} in line with its owners' interest; no syscall if it is. */
    void sync(EpollItem e) throws IOException {
        int mask = e.mask();
        if (mask == e.events) return;
        if (mask == 0) { // fact 4
            delQuietly(e);
            e.events = 0;
            return;
        }
        int op = e.events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        if (op == EPOLL_CTL_ADD) table.retag(e); // fact 1: a new generation for every item added
        if (ctl(op, e, mask) < 0) {
            int err = LibCRuntime.errno();
            if (op == EPOLL_CTL_ADD && err == EEXIST) {
                if (ctl(EPOLL_CTL_MOD, e, mask) < 0) throw failure("MOD", e, LibCRuntime.errno());
            } else if (op == EPOLL_CTL_MOD && err == ENOENT) {
                // The item went with its file (closed, number reused): add it for what the number names now.
                table.retag(e);
                if (ctl(EPOLL_CTL_ADD, e, mask) < 0) throw failure("ADD", e, LibCRuntime.errno());
            } else {
                throw failure(op == EPOLL_CTL_ADD ? "ADD" : "MOD", e, err);
            }
        }
        e.events = mask;
    }

    /** Fact 3 in EpollBackend: MOD tells whether the number still names the file our item is for; ENOENT: re-ADD. */
    void verifyAndSync(EpollItem e) throws IOException {
        int mask = e.mask();
        if (mask == 0) {
            delQuietly(e);
            e.events = 0;
            return;
        }
        if (ctl(EPOLL_CTL_MOD, e, mask) == 0) {
            e.events = mask;
            return;
        }
        int err = LibCRuntime.errno();
        if (err != ENOENT) throw failure("MOD", e, err);
        e.events = 0; // no item for what the number names now: sync ADDs one, under a new generation
        sync(e);
    }

    /** EPOLL_CTL_DEL, ignoring ENOENT and EBADF: the fd may be closed already, taking its item along. */
    void delQuietly(EpollItem e) {
        libc.epoll_ctl(epfd, EPOLL_CTL_DEL, e.fd, ctlEvent.address);
    }

    private int ctl(int op, EpollItem e, int mask) {
        ctlEvent.bytes.putInt(EpollEventLayout.EVENTS_OFFSET, mask);
        ctlEvent.bytes.putLong(layout.dataOffset(), e.tag());
        return libc.epoll_ctl(epfd, op, e.fd, ctlEvent.address);
    }

    private IOException failure(String op, EpollItem e, int err) {
        Owner first = e.ownerCount() > 0 ? e.owner(e.ownerCount() - 1) : null;
        String what = first == null ? "fd " + e.fd : SourceChecks.describe(first.source(), e.fd);
        switch (err) {
            case Linux.EPERM -> throw SourceChecks.alwaysReady(what, "epoll refuses them: EPERM"); // fact 7
            case EBADF -> {
                if (first != null && first.source().channel() != null) {
                    ClosedChannelException c = new ClosedChannelException();
                    c.initCause(new IOException("epoll_ctl(" + op + ") on fd " + e.fd + ": " + LibCRuntime.describe(err)));
                    return c;
                }
                return new IOException(what + " is not an open file descriptor (EBADF); it was closed, or never opened");
            }
            case Linux.ENOMEM, Linux.ENOSPC -> {
                return new IOException("epoll_ctl(" + op + ") for " + what + " failed: " + LibCRuntime.describe(err)
                        + "; the per-user epoll watch limit (/proc/sys/fs/epoll/max_user_watches) or memory is exhausted");
            }
            default -> {
                return new IOException("epoll_ctl(" + op + ") for " + what + " failed: " + LibCRuntime.describe(err));
            }
        }
    }
}
