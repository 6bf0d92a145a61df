/** kwait's native backends: epoll (Linux) through JNR; shares one libc binding. */
module io.kwait.nativeio {
    requires io.kwait;
    requires org.jnrproject.ffi;
}
