package dev.sublinear.api;

import dev.sublinear.jobs.Tenants;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;

/** Who the current request acts for, as {@link ApiKeyFilter} established it from its API key. */
@Component
public class Tenant {

    static final String PRINCIPAL = Tenant.class.getName() + ".principal";

    public String current() {
        return principal().tenantId();
    }

    Tenants.Principal principal() {
        Object p = RequestContextHolder.currentRequestAttributes().getAttribute(PRINCIPAL, RequestAttributes.SCOPE_REQUEST);
        if (p == null) {
            throw new IllegalStateException("no authenticated principal on this request");
        }
        return (Tenants.Principal) p;
    }
}
