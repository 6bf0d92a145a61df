/**
 * The backend service-provider interface: the boundary between kwait's core and the OS.
 * A backend implements {@link io.kwait.spi.Backend} and is found through a
 * {@link io.kwait.spi.BackendProvider}. See {@code Backend} for the threading contract.
 */
package io.kwait.spi;
