package dev.sublinear.training.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sublinear.training.tokenizer.HfTokenizer;
import dev.sublinear.training.tokenizer.TokenizerReferences;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Chat templates rendered by Jinjava equal python3-jinja2's renders (configured as transformers
 * configures it) as strings: Qwen3's and Llama 3's templates from their tokenizer files, a ChatML
 * template, and a template that uses the Python the engine had to learn. Constructs the engine cannot
 * render are refused, naming them.
 */
class ChatTemplateTest {

    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** Python the templates of several families use: slices, str and dict methods, tests, tojson, loops. */
    static final String PYTHONIC = """
            {%- set ns = namespace(found=false, count=0) %}
            {%- for m in messages[::-1] %}
              {%- if m.role == 'user' and not ns.found %}\
            {% set ns.found = true %}{% set ns.count = loop.index0 %}{% endif %}
            {%- endfor %}
            last user from the end: {{ ns.count }}
            {% for m in messages %}
              {% if loop.first and m.role != 'system' %}[no system]{% endif %}
              {% if m.content is string and m.content.startswith('<think>') %}
            thought={{ m.content.split('</think>')[0].lstrip('<think>').strip() }}\
            |answer={{ m.content.split('</think>')[-1].lstrip('\\n') }}
              {% elif m.role == 'assistant' %}
            {{ m.content.rstrip() | trim }} ({{ m.content | length }}) {{ m.content[1:4] }} {{ m.content[::2] }}
              {% else %}
            {{ m.role.upper() }}: {{ m.content.replace('a', 'A', 1) }} \
             {{ m.get('name', 'anon') }} {{ m.content.endswith(('?', '!')) }}
              {% endif %}
              {% if loop.index0 > 3 %}{% break %}{% endif %}
            {% endfor %}
            {{ {'role': 'x', 'n': [1, 2.5, none, true], 'text': 'Grüße "q" \\\\ \\n'} | tojson }}
            {{ messages[-1] | tojson(indent=2) }}
            {{ 'tight' -}}
                 {{- ' join' }} {{ [true, "it's", {'k': none}] }} {{ 'x' is sequence }} {{ messages is iterable }}
            {{ (messages | length) // 2 }} {{ messages[1:] | length }} {{ 'a,b,,c'.split(',') | join('|') }}
            {%- if add_generation_prompt %}{{ bos_token ~ 'GEN' }}{% endif %}
            """;

    private static List<ChatMessage> conversation() {
        return List.of(
                new ChatMessage("system", "You are terse."),
                new ChatMessage("user", "What is 2+2?"),
                new ChatMessage("assistant", "4"),
                new ChatMessage("user", "And 3+3?"),
                new ChatMessage("assistant", "6."),
                new ChatMessage("user", "Thanks!"));
    }

    private static List<ChatMessage> thinking() {
        return List.of(
                new ChatMessage("user", "Is 7 prime?"),
                new ChatMessage("assistant", "<think>\nIt has no divisors but 1 and 7.\n</think>\n\nYes."),
                new ChatMessage("user", "Is 9?"),
                new ChatMessage("assistant", "<think>\n3 times 3.\n</think>\n\nNo."));
    }

    private static List<ChatMessage> unicode() {
        return List.of(
                new ChatMessage("user", "Grüße 👋 — \"quotes\" \\ backslash {{ not a tag }} {% raw %} <b>&amp;</b>"),
                new ChatMessage("assistant", "  Tabs\there, newlines\n\nand \u00a0 nbsp, 日本語, <|im_end|> literal  "),
                new ChatMessage("user", "ok\r\nbye"));
    }

    private static List<ChatTemplateReference.Case> cases() {
        List<ChatTemplateReference.Case> cases = new ArrayList<>();
        for (List<ChatMessage> c : List.of(conversation(), thinking(), unicode())) {
            for (boolean generation : new boolean[] {false, true}) {
                cases.add(new ChatTemplateReference.Case(c, generation));
                cases.add(new ChatTemplateReference.Case(c.subList(0, 2), generation));
            }
        }
        cases.add(new ChatTemplateReference.Case(List.of(new ChatMessage("user", "Hi")), true));
        return cases;
    }

    private static void assertSameAsJinja2(ChatTemplate template) throws Exception {
        List<ChatTemplateReference.Case> cases = cases();
        List<ChatTemplateReference.Rendered> expected =
                ChatTemplateReference.render(template.source(), template.variables(), cases);
        for (int i = 0; i < cases.size(); i++) {
            ChatTemplateReference.Case c = cases.get(i);
            assertNull(expected.get(i).error(), "Jinja2 failed on case " + i);
            assertEquals(
                    expected.get(i).text(),
                    template.render(c.messages(), c.addGenerationPrompt()),
                    "case " + i + " (generation prompt " + c.addGenerationPrompt() + ")");
        }
    }

    @Test
    void qwen3TemplateFromItsTokenizerConfigRendersAsJinja2() throws Exception {
        try (HfTokenizer tokenizer = HfTokenizer.load(TokenizerReferences.qwen3Directory())) {
            ChatTemplate template = tokenizer.chatTemplate().orElseThrow();
            assertTrue(template.source().contains("</think>"), "Qwen3's template has thinking blocks");
            assertSameAsJinja2(template);
            String rendered = template.render(thinking(), false);
            assertTrue(rendered.contains("<think>\n3 times 3.\n</think>\n\nNo.<|im_end|>"), rendered);
            assertTrue(
                    rendered.contains("<|im_start|>assistant\nYes.<|im_end|>"),
                    "earlier thinking is dropped: " + rendered);
        }
    }

    @Test
    void llama3TemplateFromItsTokenizerConfigRendersAsJinja2() throws Exception {
        try (HfTokenizer tokenizer = HfTokenizer.load(TokenizerReferences.llama3Directory())) {
            ChatTemplate template = tokenizer.chatTemplate().orElseThrow();
            assertEquals("<|begin_of_text|>", template.variables().get("bos_token"));
            assertSameAsJinja2(template);
        }
    }

    @Test
    void chatMlRendersAsJinja2() throws Exception {
        assertSameAsJinja2(ChatTemplate.of(CHATML, Map.of("eos_token", "<|im_end|>")));
    }

    @Test
    void pythonInTemplatesRendersAsJinja2() throws Exception {
        assertSameAsJinja2(ChatTemplate.of(PYTHONIC, Map.of("bos_token", "<s>")));
    }

    @Test
    void specialTokensInARenderEncodeAsSingleIds() throws Exception {
        try (HfTokenizer tokenizer = HfTokenizer.load(TokenizerReferences.qwen3Directory())) {
            String rendered =
                    tokenizer.chatTemplate().orElseThrow().render(conversation().subList(0, 2), true);
            int[] ids = tokenizer.encode(rendered);
            int imStart = tokenizer.encode("<|im_start|>")[0];
            int imEnd = tokenizer.encode("<|im_end|>")[0];
            assertEquals(1, tokenizer.encode("<|im_start|>").length);
            assertEquals(3, Arrays.stream(ids).filter(id -> id == imStart).count(), rendered);
            assertEquals(2, Arrays.stream(ids).filter(id -> id == imEnd).count(), rendered);
            assertEquals(tokenizer.eosId(), imEnd, "Qwen3's end of turn is its eos_token");
        }
    }

    @Test
    void constructsTheEngineLacksAreRefusedByName() {
        ChatTemplateException filter = assertThrows(
                ChatTemplateException.class, () -> ChatTemplate.of("{{ 'x' }}\n{{ messages | frobnicate }}", Map.of()));
        assertTrue(filter.getMessage().contains("unknown filter 'frobnicate'"), filter.getMessage());
        assertTrue(filter.getMessage().contains("line 2"), filter.getMessage());

        ChatTemplateException test = assertThrows(
                ChatTemplateException.class, () -> ChatTemplate.of("{% if x is frobbed %}{% endif %}", Map.of()));
        assertTrue(test.getMessage().contains("unknown test 'frobbed'"), test.getMessage());

        ChatTemplate tag = ChatTemplate.of("a\n{% generation %}{{ messages[0].content }}{% endgeneration %}", Map.of());
        ChatTemplateException unknownTag = assertThrows(ChatTemplateException.class, tag::check);
        assertTrue(unknownTag.getMessage().contains("generation"), unknownTag.getMessage());
        assertTrue(unknownTag.getMessage().contains("line 2"), unknownTag.getMessage());

        ChatTemplate method = ChatTemplate.of("{{ messages[0].content.casefold() }}", Map.of());
        ChatTemplateException unknownMethod = assertThrows(ChatTemplateException.class, method::check);
        assertTrue(unknownMethod.getMessage().contains("casefold"), unknownMethod.getMessage());

        ChatTemplate previtem = ChatTemplate.of("{% for m in messages %}{{ loop.previtem }}{% endfor %}", Map.of());
        ChatTemplateException loopItem = assertThrows(ChatTemplateException.class, previtem::check);
        assertTrue(loopItem.getMessage().contains("previtem"), loopItem.getMessage());

        ChatTemplate refusing = ChatTemplate.of(
                "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}ok",
                Map.of());
        ChatTemplateException raised =
                assertThrows(ChatTemplateException.class, () -> refusing.render(conversation(), false));
        assertTrue(raised.getMessage().contains("System role not supported"), raised.getMessage());
        assertEquals("ok", refusing.render(conversation().subList(1, 2), false));
    }
}
