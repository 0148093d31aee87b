package dev.sublinear.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sublinear.testing.RunningService;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configured admin key ({@code SUBLINEAR_ADMIN_KEY}) can be rotated: a restart with a new key
 * revokes the old one; a revoked key never comes back through a restart, and a weak key is refused
 * at start-up with a message naming the setting.
 */
class AdminKeyRotationTest {

    private static final String FIRST = "sl-first-rotation-key-7Hq2Lm9Xw";
    private static final String SECOND = "sl-second-rotation-key-Vb4Nc8Tz";

    @TempDir
    Path dir;

    @Test
    void aRestartWithAnotherKeyRevokesTheOldOneAndARevokedKeyStaysRevoked() {
        Path data = dir.resolve("data");
        String operatorKey;
        try (RunningService service =
                RunningService.start(data, null, "--sublinear.admin.key=" + FIRST, "--sublinear.roles=api")) {
            service.as(FIRST).get("/v1/admin/tenants").expect(200);
            // an admin key made through the API is the operator's own: rotation leaves it alone
            operatorKey = service.as(FIRST)
                    .post("/v1/admin/tenants/default/keys", "{\"name\": \"ops\", \"admin\": true}")
                    .expect(201)
                    .json()
                    .get("secret")
                    .asString();
        }
        try (RunningService service =
                RunningService.start(data, null, "--sublinear.admin.key=" + SECOND, "--sublinear.roles=api")) {
            assertThat(service.as(FIRST).get("/v1/admin/tenants").status())
                    .as("the rotated-out key")
                    .isEqualTo(401);
            service.as(SECOND).get("/v1/admin/tenants").expect(200);
            service.as(operatorKey).get("/v1/admin/tenants").expect(200);
            String secondId = service.as(SECOND)
                    .get("/v1/admin/tenants/default/keys")
                    .expect(200)
                    .json()
                    .get("data")
                    .valueStream()
                    .filter(k -> k.get("revoked_at").isNull()
                            && k.get("hint").asString().equals("…" + SECOND.substring(SECOND.length() - 4)))
                    .findFirst()
                    .orElseThrow()
                    .get("id")
                    .asString();
            service.as(operatorKey).delete("/v1/admin/keys/" + secondId).expect(200);
        }
        assertThatThrownBy(() -> RunningService.start(
                                data, null, "--sublinear.admin.key=" + SECOND, "--sublinear.roles=api")
                        .close())
                .hasStackTraceContaining("sublinear.admin.key (SUBLINEAR_ADMIN_KEY) was revoked");
    }

    @Test
    void aWeakConfiguredKeyStopsStartUpWithAClearMessage() {
        assertThatThrownBy(() -> RunningService.start(
                                dir.resolve("data"), null, "--sublinear.admin.key=admin", "--sublinear.roles=api")
                        .close())
                .hasStackTraceContaining("sublinear.admin.key (SUBLINEAR_ADMIN_KEY) must be 24 to 200 characters");
    }
}
