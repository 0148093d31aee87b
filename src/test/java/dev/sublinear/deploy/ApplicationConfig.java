package dev.sublinear.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.Yaml;

/**
 * What src/main/resources/application.yaml says about the HTTP port and the Actuator health
 * endpoints, with Spring Boot's defaults for what it leaves out: the deployment files must agree
 * with it.
 */
final class ApplicationConfig {

    static final Path FILE = Path.of("src", "main", "resources", "application.yaml");

    private final Map<String, Object> root;

    private ApplicationConfig(Map<String, Object> root) {
        this.root = root;
    }

    static ApplicationConfig load() {
        try (InputStream in = Files.newInputStream(FILE)) {
            Map<String, Object> root = new Yaml().load(in);
            return new ApplicationConfig(root == null ? Map.of() : root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** server.port, 8080 when unset. */
    int serverPort() {
        Object port = at("server", "port");
        return port == null ? 8080 : Integer.parseInt(port.toString());
    }

    /** The port the Actuator answers on: management.server.port, else the server's. */
    int managementPort() {
        Object port = at("management", "server", "port");
        return port == null ? serverPort() : Integer.parseInt(port.toString());
    }

    /** Whether /actuator/health/liveness and /readiness exist (management.endpoint.health.probes.enabled). */
    boolean probesEnabled() {
        return Boolean.parseBoolean(String.valueOf(at("management", "endpoint", "health", "probes", "enabled")));
    }

    /** The health paths the application serves over HTTP: the endpoint and each of its groups. */
    Set<String> healthPaths() {
        Set<String> paths = new LinkedHashSet<>();
        if (!exposedOverHttp("health")) {
            return paths;
        }
        Object basePath = at("management", "endpoints", "web", "base-path");
        String health = (basePath == null ? "/actuator" : basePath.toString()) + "/health";
        paths.add(health);
        if (probesEnabled()) {
            paths.add(health + "/liveness");
            paths.add(health + "/readiness");
        }
        if (at("management", "endpoint", "health", "group") instanceof Map<?, ?> groups) {
            groups.keySet().forEach(group -> paths.add(health + "/" + group));
        }
        return paths;
    }

    /** Whether an Actuator endpoint is exposed over HTTP (health only, by default). */
    boolean exposedOverHttp(String endpoint) {
        Object include = at("management", "endpoints", "web", "exposure", "include");
        Collection<?> included = include instanceof Collection<?> list
                ? list
                : include == null
                        ? List.of("health")
                        : List.of(include.toString().split("\\s*,\\s*"));
        return included.stream().map(String::valueOf).anyMatch(e -> e.equals(endpoint) || e.equals("*"));
    }

    /** The HTTP path of an Actuator endpoint, e.g. /actuator/prometheus. */
    String actuatorPath(String endpoint) {
        Object basePath = at("management", "endpoints", "web", "base-path");
        return (basePath == null ? "/actuator" : basePath.toString()) + "/" + endpoint;
    }

    private Object at(String... keys) {
        Object current = root;
        for (String key : keys) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(key);
        }
        return current;
    }
}
