package dev.sublinear.training.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TextGenerator#generate} and {@link TextGenerator#encodePrompt} on TinyHfModels' GPT-2,
 * llama and qwen3 (real byte-level BPE tokenizers) and one of our own models: greedy generation
 * against an argmax loop over the block's full forward, sampling, stop sequences, streaming,
 * cancellation and the context check.
 */
class TextGeneratorTest {

    @TempDir
    static Path directory;

    private static LoadedModel gpt2;
    private static LoadedModel llama;
    private static LoadedModel qwen3;
    private static LoadedModel own;

    @BeforeAll
    static void load() throws Exception {
        gpt2 = GenerationFixtures.tinyHf(directory, "gpt2", 21);
        llama = GenerationFixtures.tinyHf(directory, "llama", 22);
        qwen3 = GenerationFixtures.tinyHf(directory, "qwen3", 23);
        own = GenerationFixtures.ownModel(24);
    }

    @AfterAll
    static void close() {
        for (LoadedModel model : new LoadedModel[] {gpt2, llama, qwen3, own}) {
            model.close();
        }
    }

    private static LoadedModel model(String name) {
        return switch (name) {
            case "gpt2" -> gpt2;
            case "llama" -> llama;
            case "qwen3" -> qwen3;
            default -> own;
        };
    }

    private static Sampling greedy(int maxTokens) {
        return new Sampling(maxTokens, 0, 1, 0, List.of(), -1);
    }

    @Test
    void promptsAreFramedAsTheTokenizerAndOurTrainingFrameThem() {
        String text = "the other";
        // the tokenizers library's own post-processor: llama's adds <s>, GPT-2's and Qwen's nothing
        for (LoadedModel model : List.of(gpt2, llama, qwen3)) {
            HfTokenizer tokenizer = (HfTokenizer) model.tokenizer();
            assertArrayEquals(tokenizer.encodeWithSpecialTokens(text), new TextGenerator(model).encodePrompt(text));
        }
        assertEquals(259, new TextGenerator(llama).encodePrompt(text)[0]);
        // ours: BOS, the UTF-8 bytes, the separator our prompt/completion rows put before a completion
        ByteTokenizer bytes = new ByteTokenizer();
        int[] expected = new int[text.length() + 2];
        expected[0] = bytes.bosId();
        for (int i = 0; i < text.length(); i++) {
            expected[i + 1] = text.charAt(i);
        }
        expected[text.length() + 1] = bytes.separatorId();
        assertArrayEquals(expected, new TextGenerator(own).encodePrompt(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen3", "own"})
    void temperatureZeroIsTheArgmaxOfTheFullForwardAtEveryStep(String name) {
        LoadedModel model = model(name);
        TextGenerator generator = new TextGenerator(model);
        int[] prompt = generator.encodePrompt("the");
        Generation generation =
                generator.generate(prompt, new Sampling(30, 0, 1, 0, List.of(), 2), () -> false, TokenStream.NONE);

        // the reference: argmax of the last row of a full forward over everything so far, no cache
        List<Integer> expected = new ArrayList<>();
        int[] context = prompt;
        int eos = model.tokenizer().eosId();
        for (int i = 0; i < 30; i++) {
            float[][] logits = GenerationFixtures.uncachedLogits(model, context);
            int next = GenerationFixtures.argmax(logits[context.length - 1]);
            if (next == eos) {
                break;
            }
            expected.add(next);
            context = Arrays.copyOf(context, context.length + 1);
            context[context.length - 1] = next;
        }
        List<Integer> ids = generation.tokens().stream().map(TokenScore::id).toList();
        assertThat(expected).as("tokens before the end of text").hasSizeGreaterThan(3);
        assertEquals(expected, ids, name);
        assertEquals(prompt.length, generation.promptTokens());
        assertEquals(expected.size() == 30 ? FinishReason.LENGTH : FinishReason.STOP, generation.finishReason(), name);
        assertEquals(expected.size() + (expected.size() == 30 ? 0 : 1), generation.completionTokens());
        assertEquals(
                model.tokenizer()
                        .decode(expected.stream().mapToInt(Integer::intValue).toArray()),
                generation.text());
        for (TokenScore token : generation.tokens()) {
            // greedy: the token is the most likely alternative, with the same log-prob
            assertEquals(token.id(), token.top().get(0).id());
            assertEquals(token.logprob(), token.top().get(0).logprob(), 1e-12);
            assertThat(token.top().get(0).logprob())
                    .isGreaterThanOrEqualTo(token.top().get(1).logprob());
        }
    }

    @Test
    void aSeedReproducesASampleAndAnotherSeedDiffers() {
        TextGenerator generator = new TextGenerator(gpt2);
        int[] prompt = generator.encodePrompt("the");
        Generation first = generator.generate(prompt, sampled(40, 1.0, 7), () -> false, TokenStream.NONE);
        Generation again = generator.generate(prompt, sampled(40, 1.0, 7), () -> false, TokenStream.NONE);
        Generation other = generator.generate(prompt, sampled(40, 1.0, 8), () -> false, TokenStream.NONE);
        assertEquals(ids(first), ids(again));
        assertEquals(first.text(), again.text());
        assertThat(ids(other)).isNotEqualTo(ids(first));
        Generation greedy =
                generator.generate(prompt, new Sampling(40, 0, 1, 0, List.of(), 0), () -> false, TokenStream.NONE);
        assertThat(ids(first)).isNotEqualTo(ids(greedy));
    }

    @Test
    void aTinyTopPAlwaysKeepsJustTheMostLikelyToken() {
        TextGenerator generator = new TextGenerator(qwen3);
        int[] prompt = generator.encodePrompt("the");
        Generation greedy =
                generator.generate(prompt, new Sampling(30, 0, 1, 0, List.of(), 0), () -> false, TokenStream.NONE);
        for (long seed = 0; seed < 3; seed++) {
            Generation nucleus = generator.generate(
                    prompt, new Sampling(30, 1.5, 1e-6, seed, List.of(), 0), () -> false, TokenStream.NONE);
            assertEquals(ids(greedy), ids(nucleus));
        }
    }

    @Test
    void aStopSequenceCutsTheTextBeforeItAndStops() {
        TextGenerator generator = new TextGenerator(own);
        int[] prompt = generator.encodePrompt("ab");
        Generation free = generator.generate(prompt, sampled(40, 0.7, 3), () -> false, TokenStream.NONE);
        String text = free.text();
        assertThat(text.length()).isGreaterThan(12);
        String stop = text.substring(8, 11);
        int at = text.indexOf(stop);
        List<String> deltas = new ArrayList<>();
        Generation stopped = generator.generate(
                prompt,
                new Sampling(40, 0.7, 1, 3, List.of("never appears \u0000", stop), 0),
                () -> false,
                (delta, tokens) -> deltas.add(delta));
        assertEquals(text.substring(0, at), stopped.text());
        assertEquals(FinishReason.STOP, stopped.finishReason());
        assertEquals(String.join("", deltas), stopped.text());
        assertThat(stopped.completionTokens()).isLessThan(40);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "own"})
    void streamedDeltasArriveAlongTheWayAndMakeUpTheText(String name) {
        TextGenerator generator = new TextGenerator(model(name));
        int[] prompt = generator.encodePrompt("the");
        List<String> deltas = new ArrayList<>();
        AtomicInteger tokens = new AtomicInteger();
        Generation generation = generator.generate(prompt, sampled(40, 1.0, 5), () -> false, (delta, batch) -> {
            deltas.add(delta);
            tokens.addAndGet(batch.size());
        });
        assertEquals(generation.text(), String.join("", deltas));
        assertThat(deltas.size()).as("deltas before the end").isGreaterThan(3);
        int eos = generation.finishReason() == FinishReason.STOP ? 1 : 0;
        assertEquals(generation.completionTokens() - eos, tokens.get());
        for (int i = 0; i < deltas.size() - 1; i++) {
            assertThat(deltas.get(i)).as("an incomplete character is held back").doesNotEndWith("\uFFFD");
        }
    }

    @Test
    void theStopSupplierCancelsBeforeAForwardPass() {
        TextGenerator generator = new TextGenerator(gpt2);
        AtomicInteger asked = new AtomicInteger();
        assertThrows(
                CancellationException.class,
                () -> generator.generate(
                        generator.encodePrompt("the"),
                        greedy(30),
                        () -> asked.incrementAndGet() > 4,
                        TokenStream.NONE));
        assertEquals(5, asked.get(), "asked before each of the 4 passes and then stopped");
        assertThrows(CancellationException.class, () -> generator.score(new int[] {1, 2, 3}, 0, () -> true));
    }

    @Test
    void promptAndMaxTokensMustFitTheContextAndThePromptMustNotBeEmpty() {
        TextGenerator generator = new TextGenerator(gpt2);
        assertEquals(64, generator.contextLength());
        int[] prompt = new int[50];
        Generation fits = generator.generate(prompt, greedy(14), () -> false, TokenStream.NONE);
        assertEquals(50, fits.promptTokens());
        assertThrows(
                IllegalArgumentException.class,
                () -> generator.generate(prompt, greedy(15), () -> false, TokenStream.NONE));
        assertThrows(
                IllegalArgumentException.class,
                () -> generator.generate(new int[0], greedy(1), () -> false, TokenStream.NONE));
        assertThrows(IllegalArgumentException.class, () -> generator.score(new int[65], 0, () -> false));
        Generation nothing = generator.generate(new int[] {1, 2}, greedy(0), () -> false, TokenStream.NONE);
        assertEquals("", nothing.text());
        assertEquals(0, nothing.completionTokens());
        assertEquals(FinishReason.LENGTH, nothing.finishReason());
    }

    private static Sampling sampled(int maxTokens, double temperature, long seed) {
        return new Sampling(maxTokens, temperature, 1, seed, List.of(), 0);
    }

    private static List<Integer> ids(Generation generation) {
        return generation.tokens().stream().map(TokenScore::id).toList();
    }
}
