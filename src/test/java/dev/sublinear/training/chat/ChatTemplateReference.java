package dev.sublinear.training.chat;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sublinear.testing.TorchReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders chat templates with Debian's python3-jinja2 configured as transformers configures it
 * ({@code src/test/python/chat_template_reference.py}): the independent reference for {@link
 * ChatTemplate}.
 */
public final class ChatTemplateReference {

    private static final Path SCRIPT = Path.of("src", "test", "python", "chat_template_reference.py");
    private static final Gson GSON = new Gson();

    private ChatTemplateReference() {}

    /** One render: the conversation and whether the generation prompt is added. */
    public record Case(List<ChatMessage> messages, boolean addGenerationPrompt) {}

    /** What Jinja2 rendered for one case: the text, or the error it raised. */
    public record Rendered(String text, String error, List<int[]> spans) {}

    /** Jinja2's render of each case. */
    public static List<Rendered> render(String template, Map<String, ?> variables, List<Case> cases) throws Exception {
        JsonArray all = new JsonArray();
        for (Case c : cases) {
            JsonObject one = new JsonObject();
            one.add("messages", messages(c.messages()));
            one.addProperty("add_generation_prompt", c.addGenerationPrompt());
            all.add(one);
        }
        return run(template, variables, all);
    }

    /**
     * Jinja2's render of each whole conversation and its assistant turns' spans {@code [start, end,
     * weight]} (as Java string indices), found by the script from its own prefix renders.
     */
    public static List<Rendered> spans(String template, Map<String, ?> variables, List<List<ChatMessage>> rows)
            throws Exception {
        JsonArray all = new JsonArray();
        for (List<ChatMessage> row : rows) {
            JsonObject one = new JsonObject();
            one.add("messages", messages(row));
            one.addProperty("spans", true);
            all.add(one);
        }
        return run(template, variables, all);
    }

    private static JsonArray messages(List<ChatMessage> messages) {
        JsonArray out = new JsonArray();
        for (ChatMessage m : messages) {
            JsonObject turn = new JsonObject();
            turn.addProperty("role", m.role());
            turn.addProperty("content", m.content());
            if (m.weight() != null) {
                turn.addProperty("weight", m.weight());
            }
            out.add(turn);
        }
        return out;
    }

    private static List<Rendered> run(String template, Map<String, ?> variables, JsonArray cases) throws Exception {
        JsonObject request = new JsonObject();
        request.addProperty("template", template);
        Map<String, Object> present = new LinkedHashMap<>();
        variables.forEach((k, v) -> {
            if (v != null) {
                present.put(k, v);
            }
        });
        request.add("variables", GSON.toJsonTree(present));
        request.add("cases", cases);
        Path in = Files.createTempFile("chat-template-", ".json");
        Path out = Files.createTempFile("chat-template-", ".out.json");
        try {
            Files.writeString(in, request.toString(), StandardCharsets.UTF_8);
            TorchReference.run("chat template (python3-jinja2)", SCRIPT, in.toString(), out.toString());
            List<Rendered> rendered = new ArrayList<>();
            for (JsonElement e : JsonParser.parseString(Files.readString(out, StandardCharsets.UTF_8))
                    .getAsJsonArray()) {
                JsonObject o = e.getAsJsonObject();
                List<int[]> spans = null;
                if (o.has("spans")) {
                    // Python counts code points, Java's String UTF-16 units
                    String text = o.get("text").getAsString();
                    spans = new ArrayList<>();
                    for (JsonElement s : o.getAsJsonArray("spans")) {
                        JsonArray a = s.getAsJsonArray();
                        spans.add(new int[] {
                            text.offsetByCodePoints(0, a.get(0).getAsInt()),
                            text.offsetByCodePoints(0, a.get(1).getAsInt()),
                            a.get(2).getAsInt()
                        });
                    }
                }
                rendered.add(new Rendered(
                        o.has("text") ? o.get("text").getAsString() : null,
                        o.has("error") ? o.get("error").getAsString() : null,
                        spans));
            }
            return rendered;
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
    }
}
