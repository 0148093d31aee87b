package dev.sublinear.training.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's chat template: Jinja, rendered as transformers' {@code apply_chat_template} renders it
 * (with {@code messages}, {@code add_generation_prompt} and the tokenizer's special tokens).
 *
 * <p>The engine is Jinjava configured as transformers configures Jinja2 ({@code trim_blocks}, {@code
 * lstrip_blocks}, loop controls, {@code raise_exception}, {@code strftime_now}, its {@code tojson}),
 * with the pieces of Python that templates lean on and Jinjava lacks or reads differently: syntax
 * ({@link PythonSyntax}: three-part slices, keyword arguments, printed booleans), string and dict
 * methods ({@link PythonStringMethods}), Jinja2's {@code sequence} and {@code iterable} tests ({@link
 * PythonTests}). As Jinja2 does, line ends are read as {@code \n}
 * and one newline at the template's end is dropped. What the engine cannot do (an unknown tag,
 * filter, test, function or method, a construct it cannot parse) throws {@link
 * ChatTemplateException} naming it and its line, never a different prompt.
 *
 * <p>Known difference left: printing none directly ({@code {{ none }}}) writes nothing where Python
 * writes {@code None} (Jinjava does not tell none from undefined, which prints nothing in both).
 */
public final class ChatTemplate {

    private static final Jinjava JINJAVA = engine();

    private final String source;
    private final String prepared;
    private final Map<String, Object> variables;

    private ChatTemplate(String source, String prepared, Map<String, Object> variables) {
        this.source = source;
        this.prepared = prepared;
        this.variables = variables;
    }

    /**
     * A template with the tokenizer's special tokens as variables ({@code bos_token}, {@code
     * eos_token}, ... as transformers passes its {@code special_tokens_map}; null values are left
     * out).
     *
     * @throws ChatTemplateException when the template names a filter or test the engine lacks
     */
    public static ChatTemplate of(String source, Map<String, ?> specialTokens) {
        // Jinja2 reads \r\n and \r as \n and, without keep_trailing_newline, drops one final newline
        String normalized = source.replace("\r\n", "\n").replace('\r', '\n');
        if (normalized.endsWith("\n")) {
            normalized = normalized.substring(0, normalized.length() - 1);
        }
        TemplateChecks.check(normalized, JINJAVA.getGlobalContext());
        Map<String, Object> variables = new HashMap<>();
        specialTokens.forEach((name, value) -> {
            if (value != null) {
                variables.put(name, value);
            }
        });
        return new ChatTemplate(source, PythonSyntax.rewrite(normalized), Map.copyOf(variables));
    }

    /** The template's Jinja text. */
    public String source() {
        return source;
    }

    /** The variables every render gets besides the conversation (the tokenizer's special tokens). */
    public Map<String, Object> variables() {
        return variables;
    }

    /**
     * Renders {@code messages}; with {@code addGenerationPrompt} the text ends where the assistant's
     * next turn begins.
     *
     * @throws ChatTemplateException naming the construct when the template cannot be rendered, or
     *     with the template's own message when it refuses the conversation ({@code raise_exception})
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> turns = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", m.content());
            turns.add(turn);
        }
        Map<String, Object> bindings = new HashMap<>(variables);
        bindings.put("messages", turns);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result;
        try {
            result = JINJAVA.renderForResult(prepared, bindings);
        } catch (RuntimeException e) {
            throw new ChatTemplateException("chat template cannot be rendered: " + e.getMessage(), e);
        }
        if (!result.getErrors().isEmpty()) {
            throw error(result.getErrors().get(0));
        }
        return result.getOutput();
    }

    /**
     * Renders a short conversation (user, assistant, user; with and without the generation prompt), as a
     * check that the engine can render this template at all.
     *
     * @throws ChatTemplateException naming the construct it cannot render
     */
    public void check() {
        List<ChatMessage> sample = List.of(
                new ChatMessage("user", "Hello"),
                new ChatMessage("assistant", "Hi, how can I help?"),
                new ChatMessage("user", "Say yes."));
        render(sample, true);
        render(sample.subList(0, 2), false);
    }

    private static ChatTemplateException error(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof TemplateFunctions.Raised raised) {
                return new ChatTemplateException("the chat template refuses the conversation: " + raised.getMessage());
            }
        }
        String message = error.getMessage() == null ? String.valueOf(error.getReason()) : error.getMessage();
        if (message.contains("raise_exception") || message.contains(TemplateFunctions.Raised.class.getSimpleName())) {
            return new ChatTemplateException("the chat template refuses the conversation: " + message);
        }
        String where = error.getLineno() > 0 ? "chat template line " + error.getLineno() : "chat template";
        return new ChatTemplateException(where + ": " + message);
    }

    private static Jinjava engine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                // a message's text is data: "{{" in it stays text, as in Jinja2
                .withNestedInterpretationEnabled(false)
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.getGlobalContext().registerFilter(new PythonJson());
        jinjava.getGlobalContext().registerFilter(new PythonSlices());
        jinjava.getGlobalContext().registerExpTest(PythonTests.sequence());
        jinjava.getGlobalContext().registerExpTest(PythonTests.iterable());
        jinjava.getGlobalContext()
                .registerFunction(new ELFunctionDefinition(
                        "", "raise_exception", TemplateFunctions.class, "raiseException", Object.class));
        jinjava.getGlobalContext()
                .registerFunction(new ELFunctionDefinition(
                        "", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
        jinjava.getGlobalContext()
                .registerFunction(
                        new ELFunctionDefinition("", PythonOutput.FUNCTION, PythonOutput.class, "print", Object.class));
        return jinjava;
    }
}
