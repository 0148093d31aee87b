package dev.sublinear.api;

import dev.sublinear.jobs.tenants.Tenants;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.annotation.web.configuration.WebSecurityCustomizer;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter.ReferrerPolicy;

/**
 * Who may call what, decided by Spring Security on the path Spring routes, never on how a client
 * spelled it: the {@link PathFirewall} refuses path parameters and needlessly encoded characters
 * before anything else runs, authentication reads the API key before any body is read, and every
 * path not listed as public needs a key. Admin routes need an admin key here and again on the
 * controller itself.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSecurity
@EnableMethodSecurity
class SecurityConfiguration {

    /** The dashboard's own files and health: public. Everything else needs a key. */
    private static final String[] DASHBOARD = {
        "/",
        "/index.html",
        "/app.js",
        "/app.css",
        "/charts.js",
        "/playground.js",
        "/memory.js",
        "/memory.css",
        "/favicon.ico"
    };

    private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
            + " frame-ancestors 'none'";

    @Bean
    SecurityFilterChain api(HttpSecurity http, Tenants tenants, ProblemWriter problems) throws Exception {
        AuthenticationFilter authentication = new AuthenticationFilter(
                new ProviderManager(ApiKeyAuthentication.provider(tenants)), ApiKeyAuthentication.converter());
        authentication.setSuccessHandler((request, response, auth) -> {}); // go on down the chain
        authentication.setFailureHandler((request, response, e) -> refuse(problems, request, response, e));
        http.csrf(AbstractHttpConfigurer::disable) // keys travel in a header, never in a cookie
                .httpBasic(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .addFilterAt(authentication, BasicAuthenticationFilter.class)
                .addFilterAfter(new RateLimitFilter(tenants, problems), AuthenticationFilter.class)
                .authorizeHttpRequests(a -> a
                        // error and async dispatches continue a request that was authorized already
                        .dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.ASYNC)
                        .permitAll()
                        .requestMatchers(HttpMethod.GET, DASHBOARD)
                        .permitAll()
                        .requestMatchers(HttpMethod.GET, "/actuator/health", "/actuator/health/**", "/actuator/info")
                        .permitAll()
                        .requestMatchers("/v1/admin/**", "/actuator/**")
                        .hasRole(ApiKeyAuthentication.ADMIN)
                        .anyRequest()
                        .authenticated())
                .exceptionHandling(e -> e.authenticationEntryPoint(
                                (request, response, ex) -> refuse(problems, request, response, ex))
                        .accessDeniedHandler(forbidden(problems)))
                .headers(h -> h.contentSecurityPolicy(c -> c.policyDirectives(CONTENT_SECURITY_POLICY))
                        .referrerPolicy(r -> r.policy(ReferrerPolicy.NO_REFERRER))
                        .frameOptions(f -> f.deny()));
        return http.build();
    }

    @Bean
    WebSecurityCustomizer firewall(ProblemWriter problems) {
        RequestRejectedHandler rejected = (request, response, e) -> problems.write(
                request,
                response,
                HttpStatus.BAD_REQUEST,
                "invalid_path",
                null,
                "the request path is refused: " + e.getMessage());
        return web -> web.httpFirewall(new PathFirewall()).requestRejectedHandler(rejected);
    }

    private static void refuse(
            ProblemWriter problems, HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException {
        if (e instanceof AuthenticationServiceException) {
            response.setHeader(HttpHeaders.RETRY_AFTER, "5");
            problems.write(request, response, HttpStatus.SERVICE_UNAVAILABLE, "unavailable", null, e.getMessage());
            return;
        }
        boolean keySent = request.getHeader(HttpHeaders.AUTHORIZATION) != null;
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, keySent ? "Bearer error=\"invalid_token\"" : "Bearer");
        problems.write(
                request,
                response,
                HttpStatus.UNAUTHORIZED,
                "unauthorized",
                "Authorization",
                keySent ? e.getMessage() : "send an API key as 'Authorization: Bearer <key>'");
    }

    private static AccessDeniedHandler forbidden(ProblemWriter problems) {
        return (request, response, e) ->
                problems.write(request, response, HttpStatus.FORBIDDEN, "forbidden", null, "this needs an admin key");
    }
}
