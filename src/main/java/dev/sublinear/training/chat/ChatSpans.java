package dev.sublinear.training.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * A conversation rendered by its model's template, with where each assistant turn lies in the text,
 * found by rendering message prefixes (the template is the only thing that knows how it writes a
 * turn):
 *
 * <ul>
 *   <li>a turn starts where the render of the messages before it, with the generation prompt, ends
 *       (that render must begin the whole conversation's);
 *   <li>it ends where the render of the messages through it ends, when that render begins the whole
 *       conversation's. Some templates write the last turn differently from the same turn followed by
 *       more (Qwen3 opens a last assistant turn with an empty think block): then the turn is the
 *       longest end of its last-turn text with which the whole render continues at the turn's start;
 *   <li>whitespace the template writes after the turn's end-of-turn token (ChatML's newline after
 *       {@code <|im_end|>}) belongs to no turn.
 * </ul>
 *
 * A template for which a turn cannot be found this way throws {@link ChatTemplateException}.
 *
 * @param text the whole conversation, rendered without the generation prompt
 * @param spans the assistant turns, in order
 */
public record ChatSpans(String text, List<Span> spans) {

    /**
     * One assistant turn: {@code text.substring(start, end)}.
     *
     * @param message the turn's index in the conversation
     * @param trained whether the loss counts it ({@link ChatMessage#trained()})
     */
    public record Span(int message, int start, int end, boolean trained) {}

    /** Renders {@code messages} with {@code template} and finds the assistant turns. */
    public static ChatSpans of(ChatTemplate template, List<ChatMessage> messages) {
        String full = template.render(messages, false);
        List<Span> spans = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            if (!"assistant".equals(messages.get(i).role())) {
                continue;
            }
            String before = template.render(messages.subList(0, i), true);
            if (!full.startsWith(before)) {
                throw new ChatTemplateException("the chat template writes the conversation before message " + (i + 1)
                        + " differently when it is followed by more messages; its assistant turns cannot be found");
            }
            int start = before.length();
            String through = template.render(messages.subList(0, i + 1), false);
            int end;
            if (full.startsWith(through)) {
                end = through.length();
            } else {
                end = continuedEnd(full, start, through.length() >= start ? through.substring(start) : "");
                if (end < 0) {
                    throw new ChatTemplateException("the chat template writes assistant message " + (i + 1)
                            + " differently when more messages follow; its tokens cannot be found");
                }
            }
            while (end > start && isBlank(full.charAt(end - 1))) {
                end--;
            }
            spans.add(new Span(i, start, end, messages.get(i).trained()));
        }
        return new ChatSpans(full, List.copyOf(spans));
    }

    /** Where the longest non-empty end of {@code turn} that {@code full} continues with at {@code start} ends; -1. */
    private static int continuedEnd(String full, int start, String turn) {
        for (int k = 0; k < turn.length(); k++) {
            if (full.startsWith(turn.substring(k), start)) {
                return start + turn.length() - k;
            }
        }
        return -1;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }
}
