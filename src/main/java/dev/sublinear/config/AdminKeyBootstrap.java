package dev.sublinear.config;

import dev.sublinear.jobs.tenants.Tenants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * The service never runs open: at start, the configured admin key ({@code SUBLINEAR_ADMIN_KEY},
 * i.e. {@code sublinear.admin.key}) becomes an admin key of the default tenant; with none configured
 * and none stored, a key is generated and printed once (only its hash is kept).
 */
@Component
class AdminKeyBootstrap implements ApplicationRunner {

    private static final Logger LOG = LoggerFactory.getLogger(AdminKeyBootstrap.class);

    private final Tenants tenants;
    private final SublinearProperties properties;
    private final String configuredKey;

    AdminKeyBootstrap(
            Tenants tenants, SublinearProperties properties, @Value("${sublinear.admin.key:}") String configuredKey) {
        this.tenants = tenants;
        this.properties = properties;
        this.configuredKey = configuredKey;
    }

    @Override
    public void run(ApplicationArguments args) {
        if (!properties.has(SublinearProperties.Role.API)) {
            return;
        }
        tenants.bootstrap(configuredKey).ifPresent(key -> LOG.warn("""

                ================================================================================
                No admin key was configured, so one was generated. It is shown only this once;
                the service keeps only its hash. Use it as 'Authorization: Bearer <key>':

                    {}

                Set SUBLINEAR_ADMIN_KEY to choose your own; create tenants and keys with
                POST /v1/admin/tenants and POST /v1/admin/tenants/{id}/keys.
                ================================================================================""", key));
    }
}
