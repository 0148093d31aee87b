package dev.sublinear;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;

/** A bad setting stops start-up with a message that names it. */
class ConfigurationValidationTest {

    @Test
    void unknownRoleStopsStartUp() {
        Throwable failure = startWith("sublinear.roles=api,trainer");
        assertTrue(messages(failure).contains("sublinear.roles"), messages(failure));
    }

    @Test
    void emptyRolesStopStartUp() {
        Throwable failure = startWith("sublinear.roles=");
        assertTrue(messages(failure).contains("roles"), messages(failure));
    }

    private static Throwable startWith(String property) {
        return assertThrows(
                Exception.class,
                () -> new SpringApplicationBuilder(SublinearApplication.class)
                        .web(WebApplicationType.NONE)
                        .run("--" + property, "--sublinear.data-dir=target/test-data/validation")
                        .close());
    }

    private static String messages(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append('\n');
        }
        return all.toString();
    }
}
