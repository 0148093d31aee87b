package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.SublinearApplication;
import dev.sublinear.config.DjlEngine;
import dev.sublinear.testing.ServiceClient;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/** With no admin key configured, the first start generates one and prints it once; it never runs open. */
@ExtendWith(OutputCaptureExtension.class)
class AdminKeyBootstrapTest {

    private static final Pattern KEY = Pattern.compile("^\\s+(sl-[A-Za-z0-9]{40})\\s*$", Pattern.MULTILINE);

    @TempDir
    Path dir;

    @Test
    void theFirstStartPrintsAGeneratedKeyOnceAndItKeepsWorking(CapturedOutput output) {
        String key;
        try (ConfigurableApplicationContext first = start()) {
            Matcher printed = KEY.matcher(output.getOut());
            assertThat(printed.find()).as("a generated key in the log").isTrue();
            key = printed.group(1);
            ServiceClient anonymous = new ServiceClient(url(first), null);
            assertThat(anonymous.get("/v1/files").status()).isEqualTo(401);
            new ServiceClient(url(first), key).get("/v1/limits").expect(200);
        }
        int printedBefore = count(output.getOut());
        try (ConfigurableApplicationContext second = start()) {
            assertThat(count(output.getOut())).as("no second key printed").isEqualTo(printedBefore);
            new ServiceClient(url(second), key).get("/v1/admin/tenants").expect(200);
        }
    }

    private ConfigurableApplicationContext start() {
        DjlEngine.configureOffline();
        return new SpringApplicationBuilder(SublinearApplication.class)
                .run(
                        "--server.port=0",
                        "--sublinear.data-dir=" + dir.resolve("data"),
                        "--sublinear.roles=api",
                        "--spring.main.banner-mode=off");
    }

    private static String url(ConfigurableApplicationContext context) {
        return "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");
    }

    private static int count(String log) {
        Matcher m = KEY.matcher(log);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
