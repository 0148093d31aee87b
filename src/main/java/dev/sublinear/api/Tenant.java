package dev.sublinear.api;

import org.springframework.stereotype.Component;

/**
 * Who a request acts for. Every store query is scoped by it. Until API keys exist (they come with
 * tenants and limits), every request acts for the one built-in tenant.
 */
@Component
public class Tenant {

    static final String DEFAULT = "default";

    public String current() {
        return DEFAULT;
    }
}
