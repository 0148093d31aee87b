package dev.sublinear.api;

import dev.sublinear.jobs.tenants.Tenants;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Each tenant's requests are rate-limited per API process by a token bucket (bursts up to twice the
 * rate); past it, 429 with {@code Retry-After}. Runs after authentication, so it counts per tenant.
 */
class RateLimitFilter extends OncePerRequestFilter {

    private final Tenants tenants;
    private final ProblemWriter problems;
    private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();

    RateLimitFilter(Tenants tenants, ProblemWriter problems) {
        this.tenants = tenants;
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (!(authentication instanceof ApiKeyAuthentication key) || !key.isAuthenticated()) {
            chain.doFilter(request, response);
            return;
        }
        String tenantId = key.getPrincipal().tenantId();
        int rate = tenants.limits(tenantId).requestsPerSecond();
        TokenBucket bucket =
                buckets.compute(tenantId, (k, b) -> b == null || b.rate() != rate ? new TokenBucket(rate) : b);
        long waitMillis = bucket.take();
        if (waitMillis > 0) {
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, (waitMillis + 999) / 1000)));
            problems.write(
                    request,
                    response,
                    HttpStatus.TOO_MANY_REQUESTS,
                    "rate_limited",
                    null,
                    "more than " + rate + " requests per second for this tenant; retry after the Retry-After seconds");
            return;
        }
        chain.doFilter(request, response);
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
