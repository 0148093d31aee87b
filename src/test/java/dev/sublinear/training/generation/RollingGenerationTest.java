package dev.sublinear.training.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sublinear.training.data.Encoder;
import dev.sublinear.training.model.LoadedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LoadedModel#generate(String, int, float, long)}, the older completions endpoint's path, now
 * on the key/value cache: a prompt longer than the context is cut to its end and a generation longer
 * than the context rolls the window, giving the tokens that a full forward over each window picks.
 */
class RollingGenerationTest {

    @TempDir
    Path directory;

    @Test
    void ourModelRollsItsWindowAsTheFullForwardDoes() {
        try (LoadedModel model = GenerationFixtures.ownModel(41)) {
            assertRollsAsTheFullForward(model, "ab", 120);
            assertRollsAsTheFullForward(
                    model, "a prompt longer than the sixty-four positions of this model's context", 20);
        }
    }

    @Test
    void gpt2RollsItsWindowAsTheFullForwardDoes() throws Exception {
        try (LoadedModel model = GenerationFixtures.tinyHf(directory, "gpt2", 42)) {
            assertRollsAsTheFullForward(model, "the", 100);
        }
    }

    private static void assertRollsAsTheFullForward(LoadedModel model, String prompt, int maxTokens) {
        int limit = model.config().contextLength();
        int[] context = new Encoder(model.tokenizer(), limit, List.of()).promptForGeneration(prompt);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < maxTokens; i++) {
            float[][] logits = GenerationFixtures.uncachedLogits(model, context);
            int next = GenerationFixtures.argmax(logits[context.length - 1]);
            if (next == model.tokenizer().eosId()) {
                break;
            }
            expected.add(next);
            int[] longer = Arrays.copyOf(context, context.length + 1);
            longer[context.length] = next;
            context = longer.length > limit ? Arrays.copyOfRange(longer, 1, longer.length) : longer;
        }
        System.out.printf("rolling %s: %d tokens generated, context %d%n", prompt, expected.size(), limit);
        // no end of text before maxTokens: the text runs past the context (or starts from a cut prompt)
        assertThat(expected).hasSize(maxTokens);
        String text = model.tokenizer()
                .decode(expected.stream().mapToInt(Integer::intValue).toArray());
        assertEquals(text, model.generate(prompt, maxTokens, 0f, 0));
    }
}
