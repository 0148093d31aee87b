package dev.sublinear.api;

import dev.sublinear.jobs.tenants.Tenants;
import org.springframework.security.authentication.AuthenticationCredentialsNotFoundException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Component;

/**
 * Who the current request acts for, as Spring Security established it from its API key. Every
 * handler asks here, so a request that reached one without a principal is refused (401), never
 * served as nobody.
 */
@Component
public class Tenant {

    public String current() {
        return principal().tenantId();
    }

    Tenants.Principal principal() {
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (authentication instanceof ApiKeyAuthentication key && key.isAuthenticated()) {
            return key.getPrincipal();
        }
        throw new AuthenticationCredentialsNotFoundException("no authenticated API key on this request");
    }
}
