/** The JNR libc binding and struct layouts shared by the native backends. */
package io.kwait.nativeio;
