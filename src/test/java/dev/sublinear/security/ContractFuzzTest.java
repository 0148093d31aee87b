package dev.sublinear.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.json.JsonMapper;

/**
 * A fuzz pass over every operation of the contract ({@code api-spec/openapi.yaml}): each path
 * parameter, query parameter and body property in turn gets values derived from its schema but
 * wrong (the wrong type, null, out of range, far too long, control and format characters, deep
 * nesting), from a fixed seed so a failure repeats. Every answer must be below 500 and, when it
 * is an error, problem+json; the service keeps answering health throughout.
 */
class ContractFuzzTest {

    private static final long SEED = 20261130L;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    private Map<String, Object> contract;
    private final List<String> failures = new ArrayList<>();
    private int requests;

    @Test
    @SuppressWarnings("unchecked")
    void everyOperationAnswersBadValuesWithProblemJsonAndNever5xx() throws IOException {
        contract = new Yaml().load(Files.readString(Path.of("api-spec", "openapi.yaml")));
        Random random = new Random(SEED);
        try (RunningService service = RunningService.start(
                dir.resolve("data"), null, "--sublinear.roles=api", "--sublinear.limits.requests-per-second=100000")) {
            Map<String, Object> paths = (Map<String, Object>) contract.get("paths");
            for (var path : paths.entrySet()) {
                for (var operation : ((Map<String, Object>) path.getValue()).entrySet()) {
                    fuzz(
                            service,
                            path.getKey(),
                            operation.getKey().toUpperCase(),
                            (Map<String, Object>) operation.getValue(),
                            random);
                }
            }
            service.as(null).get("/actuator/health").expect(200);
        }
        assertThat(failures)
                .as("answers out of %d fuzzed requests that broke the rules", requests)
                .isEmpty();
        assertThat(requests).isGreaterThan(500);
    }

    @SuppressWarnings("unchecked")
    private void fuzz(
            RunningService service, String template, String method, Map<String, Object> operation, Random random) {
        List<Map<String, Object>> parameters =
                (List<Map<String, Object>>) operation.getOrDefault("parameters", List.of());
        Map<String, Object> bodySchema = jsonBodySchema(operation);
        Map<String, Object> validBody = bodySchema == null ? null : (Map<String, Object>) example(bodySchema, 0);
        // each parameter alone gets bad values, the others plausible ones
        for (Map<String, Object> target : parameters) {
            for (Object bad : badValues(resolve((Map<String, Object>) target.get("schema")), random)) {
                send(service, method, url(template, parameters, target, bad), validBody);
            }
        }
        if (bodySchema == null) {
            if (operation.containsKey("requestBody")) {
                // multipart: a few broken forms
                for (String body :
                        List.of("", "--x\r\n", "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n")) {
                    sendRaw(
                            service,
                            method,
                            url(template, parameters, null, null),
                            "multipart/form-data; boundary=b",
                            body);
                }
            }
            return;
        }
        Map<String, Object> properties =
                (Map<String, Object>) resolve(bodySchema).getOrDefault("properties", Map.of());
        for (var property : properties.entrySet()) {
            for (Object bad : badValues(resolve((Map<String, Object>) property.getValue()), random)) {
                Map<String, Object> body = new LinkedHashMap<>(validBody);
                body.put(property.getKey(), bad);
                send(service, method, url(template, parameters, null, null), body);
            }
        }
        // the body as a whole: not an object, empty, truncated, an unknown field
        String url = url(template, parameters, null, null);
        for (String body : List.of(
                "[]",
                "\"x\"",
                "",
                "{",
                "{\"" + "k".repeat(300) + "\": 1}",
                "null",
                "{}".repeat(3),
                "[".repeat(5000) + "]".repeat(5000))) {
            sendRaw(service, method, url, "application/json", body);
        }
    }

    private void send(RunningService service, String method, String url, Map<String, Object> body) {
        sendRaw(service, method, url, "application/json", body == null ? null : JSON.writeValueAsString(body));
    }

    private void sendRaw(RunningService service, String method, String url, String contentType, String body) {
        requests++;
        HttpRequest.Builder b = service.request("").uri(URI.create(service.baseUrl() + url));
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        String what = method + " " + abbreviate(url) + (body == null ? "" : " " + abbreviate(body));
        ServiceClient.Response r;
        try {
            r = service.send(b.build());
        } catch (IllegalStateException e) {
            failures.add(what + " -> no answer: " + e.getMessage());
            return;
        }
        if (r.status() >= 500) {
            failures.add(what + " -> " + r.status() + " " + abbreviate(r.body()));
        } else if (r.status() >= 400 && !r.contentType().startsWith("application/problem+json")) {
            failures.add(what + " -> " + r.status() + " as " + r.contentType());
        } else if (r.status() >= 400
                && (r.body().contains("Exception") || r.body().contains("/tmp/"))) {
            failures.add(what + " -> leaks internals: " + abbreviate(r.body()));
        }
    }

    /** The path with each parameter filled: the target gets {@code bad}, the rest a harmless value. */
    private static String url(
            String template, List<Map<String, Object>> parameters, Map<String, Object> target, Object bad) {
        String path = template;
        StringBuilder query = new StringBuilder();
        for (Map<String, Object> p : parameters) {
            boolean isTarget = p == target;
            String name = (String) p.get("name");
            String value = isTarget ? String.valueOf(bad) : name.endsWith("id") ? "x-1" : null;
            if ("path".equals(p.get("in"))) {
                path = path.replace("{" + name + "}", encode(value == null ? "x-1" : value));
            } else if (isTarget) {
                query.append(query.isEmpty() ? "?" : "&")
                        .append(name)
                        .append('=')
                        .append(encode(value));
            }
        }
        return path + query;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Wrong values for a schema: another type, null, out of range, too long, odd characters, deep nesting. */
    private static List<Object> badValues(Map<String, Object> schema, Random random) {
        List<Object> bad = new ArrayList<>();
        Object type = schema.get("type");
        String t = type instanceof List<?> l ? String.valueOf(l.get(0)) : String.valueOf(type);
        bad.add(null);
        bad.add(List.of(1, 2));
        bad.add(Map.of("nested", Map.of("deeper", List.of())));
        switch (t) {
            case "integer", "number" -> {
                bad.add("12");
                bad.add(-1 - random.nextInt(1000));
                bad.add(Long.MAX_VALUE);
                bad.add(1e308);
                bad.add(0.5);
                bad.add(true);
            }
            case "boolean" -> {
                bad.add("true");
                bad.add(1);
            }
            case "array" -> {
                bad.add("not a list");
                bad.add(Collections.nCopies(10_000, "x"));
            }
            case "object" -> bad.add("not an object");
            default -> {
                bad.add(42);
                bad.add("");
                bad.add("x".repeat(20_000 + random.nextInt(1000)));
                bad.add("evil\u202egnp.exe\u0000\u0007");
                bad.add("../../etc/passwd");
                bad.add("😀".repeat(100));
            }
        }
        return bad;
    }

    /** A plausible value for a schema, from its example or its type. */
    @SuppressWarnings("unchecked")
    private Object example(Map<String, Object> schema, int depth) {
        Map<String, Object> s = resolve(schema);
        if (s.containsKey("example")) {
            Object e = s.get("example");
            return e instanceof String text && text.startsWith("{") ? JSON.readValue(text, Map.class) : e;
        }
        Map<String, Object> object = new LinkedHashMap<>();
        if (depth < 3) {
            ((Map<String, Object>) s.getOrDefault("properties", Map.of()))
                    .forEach((k, v) -> object.put(k, example((Map<String, Object>) v, depth + 1)));
        }
        return object;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> resolve(Map<String, Object> schema) {
        if (schema == null) {
            return Map.of();
        }
        Object ref = schema.get("$ref");
        if (ref != null) {
            String name = ((String) ref).substring(((String) ref).lastIndexOf('/') + 1);
            return resolve((Map<String, Object>)
                    ((Map<String, Object>) ((Map<String, Object>) contract.get("components")).get("schemas"))
                            .get(name));
        }
        return schema;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> jsonBodySchema(Map<String, Object> operation) {
        Map<String, Object> body = (Map<String, Object>) operation.get("requestBody");
        if (body == null) {
            return null;
        }
        Map<String, Object> json =
                (Map<String, Object>) ((Map<String, Object>) body.get("content")).get("application/json");
        return json == null ? null : (Map<String, Object>) json.get("schema");
    }

    private static String abbreviate(String s) {
        return s.length() > 160 ? s.substring(0, 160) + "…" : s;
    }
}
