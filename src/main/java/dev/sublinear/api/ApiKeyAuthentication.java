package dev.sublinear.api;

import dev.sublinear.jobs.tenants.Tenants;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.web.authentication.AuthenticationConverter;

/**
 * An API key and, once checked against the key store, the tenant it acts for. Tenants' keys have
 * {@code ROLE_TENANT}; admin keys also {@code ROLE_ADMIN}.
 */
final class ApiKeyAuthentication extends AbstractAuthenticationToken {

    static final String ADMIN = "ADMIN";
    private static final int LONGEST_KEY = 200;

    private final transient String secret;
    private final Tenants.Principal principal;

    private ApiKeyAuthentication(String secret) {
        super(List.of());
        this.secret = secret;
        this.principal = null;
    }

    private ApiKeyAuthentication(Tenants.Principal principal) {
        super(authorities(principal));
        this.secret = null;
        this.principal = principal;
        setAuthenticated(true);
    }

    private static List<GrantedAuthority> authorities(Tenants.Principal p) {
        return p.admin()
                ? List.of(new SimpleGrantedAuthority("ROLE_TENANT"), new SimpleGrantedAuthority("ROLE_" + ADMIN))
                : List.of(new SimpleGrantedAuthority("ROLE_TENANT"));
    }

    @Override
    public Object getCredentials() {
        return secret;
    }

    @Override
    public Tenants.Principal getPrincipal() {
        return principal;
    }

    /**
     * Reads {@code Authorization: Bearer <key>}; a request without one stays anonymous (and is then
     * refused by authorization, unless its path is public), a malformed one is refused at once.
     */
    static AuthenticationConverter converter() {
        return (HttpServletRequest request) -> {
            String header = request.getHeader(HttpHeaders.AUTHORIZATION);
            if (header == null) {
                return null;
            }
            if (!header.regionMatches(true, 0, "Bearer ", 0, 7)
                    || header.length() > 7 + LONGEST_KEY
                    || header.substring(7).isBlank()) {
                throw new BadCredentialsException("send an API key as 'Authorization: Bearer <key>'");
            }
            return new ApiKeyAuthentication(header.substring(7).trim());
        };
    }

    /** Checks a key against the key store. */
    static AuthenticationProvider provider(Tenants tenants) {
        return new AuthenticationProvider() {
            @Override
            public Authentication authenticate(Authentication authentication) {
                String secret = (String) authentication.getCredentials();
                try {
                    return tenants.authenticate(secret)
                            .map(ApiKeyAuthentication::new)
                            .orElseThrow(() -> new BadCredentialsException("the API key is not valid or was revoked"));
                } catch (DataAccessException e) {
                    throw new AuthenticationServiceException(
                            "the key store is unreachable for the moment; retry after a few seconds", e);
                }
            }

            @Override
            public boolean supports(Class<?> type) {
                return ApiKeyAuthentication.class.isAssignableFrom(type);
            }
        };
    }
}
