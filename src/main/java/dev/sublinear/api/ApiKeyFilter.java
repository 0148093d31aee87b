package dev.sublinear.api;

import dev.sublinear.jobs.Tenants;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every {@code /v1} request needs {@code Authorization: Bearer <key>}; the key decides the tenant.
 * Admin endpoints need an admin key. Each tenant's requests are rate-limited per API process by a
 * token bucket (bursts up to twice the rate); past it, 429 with {@code Retry-After}.
 */
@Component
class ApiKeyFilter extends OncePerRequestFilter {

    private final Tenants tenants;
    private final JsonMapper json;
    private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();

    ApiKeyFilter(Tenants tenants, JsonMapper json) {
        this.tenants = tenants;
        this.json = json;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith("/v1/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() > 7 + 200) {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
            write(response, request, HttpStatus.UNAUTHORIZED, "unauthorized",
                    "send an API key as 'Authorization: Bearer <key>'");
            return;
        }
        Optional<Tenants.Principal> principal;
        try {
            principal = tenants.authenticate(header.substring(7).trim());
        } catch (org.springframework.dao.DataAccessException e) {
            response.setHeader(HttpHeaders.RETRY_AFTER, "5");
            write(response, request, HttpStatus.SERVICE_UNAVAILABLE, "unavailable",
                    "the key store is unreachable for the moment; retry after a few seconds");
            return;
        }
        if (principal.isEmpty()) {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
            write(response, request, HttpStatus.UNAUTHORIZED, "unauthorized", "the API key is not valid or was revoked");
            return;
        }
        Tenants.Principal p = principal.get();
        if (request.getRequestURI().startsWith("/v1/admin/") && !p.admin()) {
            write(response, request, HttpStatus.FORBIDDEN, "forbidden", "admin endpoints need an admin key");
            return;
        }
        int rate = tenants.limits(p.tenantId()).requestsPerSecond();
        TokenBucket bucket = buckets.compute(p.tenantId(),
                (k, b) -> b == null || b.rate() != rate ? new TokenBucket(rate) : b);
        long waitMillis = bucket.take();
        if (waitMillis > 0) {
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, (waitMillis + 999) / 1000)));
            write(response, request, HttpStatus.TOO_MANY_REQUESTS, "rate_limited",
                    "more than " + rate + " requests per second for this tenant; retry after the Retry-After seconds");
            return;
        }
        request.setAttribute(Tenant.PRINCIPAL, p);
        chain.doFilter(request, response);
    }

    private void write(HttpServletResponse response, HttpServletRequest request, HttpStatus status, String code,
            String detail) throws IOException {
        ProblemDetail problem = Problems.problem(status, code, status == HttpStatus.UNAUTHORIZED ? "Authorization" : null,
                detail);
        problem.setInstance(java.net.URI.create(request.getRequestURI()));
        response.setStatus(status.value());
        response.setContentType("application/problem+json");
        json.writeValue(response.getOutputStream(), problem);
    }

    /** Tokens refill at {@code rate} per second up to twice that. */
    static final class TokenBucket {
        private final int rate;
        private final double capacity;
        private double tokens;
        private long last = System.nanoTime();

        TokenBucket(int rate) {
            this.rate = rate;
            this.capacity = 2.0 * rate;
            this.tokens = capacity;
        }

        int rate() {
            return rate;
        }

        /** Takes a token; returns 0, or the milliseconds until one is available. */
        synchronized long take() {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - last) / 1e9 * rate);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / rate * 1000);
        }
    }
}
