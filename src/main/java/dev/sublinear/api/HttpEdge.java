package dev.sublinear.api;

import jakarta.servlet.Filter;

/** The HTTP edge's filters that the server's wiring registers ahead of everything else. */
public final class HttpEdge {

    private HttpEdge() {}

    /** Bounds how long a request body may take; see {@link BodyReadGuard}. */
    public static Filter bodyReadGuard(HttpProperties properties) {
        return new BodyReadGuard(properties);
    }
}
