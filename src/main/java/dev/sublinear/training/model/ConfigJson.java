package dev.sublinear.training.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

/** Numbers read from a Hugging Face {@code config.json}, refused by name when missing or of the wrong kind. */
public final class ConfigJson {

    private ConfigJson() {}

    /**
     * The file's top-level object.
     *
     * @param what the file in errors, e.g. "GPT-2 config"
     */
    public static JsonObject object(String json, String what) {
        try {
            return JsonParser.parseString(json).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException(what + " is not a JSON object: " + plain(e), e);
        }
    }

    /**
     * Gson's message in words for a client: without the exception class names it starts with and the
     * link to its troubleshooting page it ends with.
     */
    public static String plain(RuntimeException e) {
        String message = e.getMessage() == null ? "malformed JSON" : e.getMessage();
        return message.replaceAll("(?s)\\s*See https.*$", "")
                .replaceAll("\\b[a-z]+(\\.[a-z]+)*\\.[A-Z][A-Za-z]*(Exception|Error): ", "");
    }

    public static int integer(JsonObject root, String name, String what) {
        double value = number(root, name, what);
        if (value != Math.rint(value) || Math.abs(value) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + ": " + name + " is not an integer: " + value);
        }
        return (int) value;
    }

    public static double number(JsonObject root, String name, String what) {
        JsonElement value = root.get(name);
        if (value == null
                || !value.isJsonPrimitive()
                || !value.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(what + ": " + name + " is missing or not a number: " + value);
        }
        return value.getAsDouble();
    }
}
