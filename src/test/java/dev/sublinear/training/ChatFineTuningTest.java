package dev.sublinear.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.training.chat.ChatMessage;
import dev.sublinear.training.data.Encoder;
import dev.sublinear.training.data.Example;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.generation.FinishReason;
import dev.sublinear.training.generation.Generation;
import dev.sublinear.training.generation.Sampling;
import dev.sublinear.training.generation.TextGenerator;
import dev.sublinear.training.generation.TokenScore;
import dev.sublinear.training.generation.TokenStream;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.run.DirectoryCheckpointStore;
import dev.sublinear.training.run.EvaluationReport;
import dev.sublinear.training.run.ModelSource;
import dev.sublinear.training.run.OptimizerConfig;
import dev.sublinear.training.run.RunControl;
import dev.sublinear.training.run.RunOutcome;
import dev.sublinear.training.run.TrainingListener;
import dev.sublinear.training.run.TrainingPlan;
import dev.sublinear.training.run.TrainingRun;
import dev.sublinear.training.run.TrainingSpec;
import dev.sublinear.training.weights.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chat model fine-tuned on a small conversation set answers its held-out prompts better than the
 * base. A tiny random qwen3 chatting in ChatML ({@code <|im_start|>}/{@code <|im_end|>} single
 * tokens) is trained through {@link TrainingRun} on messages rows: a system turn, a question on a
 * number's parity, the answer ({@code even}/{@code odd}, by its last digit). A third of the rows first
 * ask about another number and answer it wrongly in an assistant turn of weight 0, which must not be
 * learned (learned, one answer in four would be the wrong parity). The held-out
 * conversations ask about numbers no training row names. Their loss (assistant tokens through {@code
 * <|im_end|>}, the Encoder's mask, scored by the model's forward) falls well below the base's, and the
 * greedy answers to their prompts (the template's generation prompt, stopped by {@code <|im_end|>})
 * are exact where the base's are not.
 */
class ChatFineTuningTest {

    private static final String SYSTEM = "Answer even or odd.";
    private static final int TRAINING_ROWS = 96;
    private static final int HELD_OUT = 24;

    @TempDir
    Path dir;

    @Test
    void fineTunedChatModelAnswersHeldOutPromptsBetterThanTheBase() throws Exception {
        Path base = TinyHfModels.qwen3ChatMl(dir.resolve("base"), WeightType.F32, 11, true);
        List<Integer> numbers = new ArrayList<>();
        for (int n = 100; n < 1000; n++) {
            numbers.add(n);
        }
        Collections.shuffle(numbers, new Random(3));
        List<Integer> heldOutNumbers = numbers.subList(0, HELD_OUT);
        List<Integer> trainingNumbers = numbers.subList(HELD_OUT, numbers.size());
        List<List<ChatMessage>> training = new ArrayList<>();
        for (int r = 0; r < TRAINING_ROWS; r++) {
            int n = trainingNumbers.get(r);
            List<ChatMessage> row = new ArrayList<>();
            row.add(new ChatMessage("system", SYSTEM));
            if (r % 3 == 0) {
                int other = trainingNumbers.get(TRAINING_ROWS + r);
                row.add(new ChatMessage("user", question(other)));
                row.add(new ChatMessage("assistant", parity(other + 1), 0));
            }
            row.add(new ChatMessage("user", question(n)));
            row.add(new ChatMessage("assistant", parity(n), 1));
            training.add(row);
        }
        List<List<ChatMessage>> heldOut = new ArrayList<>();
        for (int n : heldOutNumbers) {
            heldOut.add(List.of(
                    new ChatMessage("system", SYSTEM),
                    new ChatMessage("user", question(n)),
                    new ChatMessage("assistant", parity(n))));
        }

        List<EvaluationReport> evaluations = new ArrayList<>();
        TrainingSpec spec = new TrainingSpec(
                TaskType.CAUSAL_LM,
                new ModelSource.Saved(base),
                write(dir.resolve("train.jsonl"), training),
                write(dir.resolve("valid.jsonl"), heldOut),
                new TrainingPlan(100, 16, 80, 1, 0, 0, 1),
                OptimizerConfig.adamw(2e-2f, 0f),
                new Device[] {Device.cpu()},
                7,
                new DirectoryCheckpointStore(dir.resolve("ckpt")),
                null,
                dir.resolve("tuned"));
        RunOutcome outcome = new TrainingRun(spec, new RunControl(), new TrainingListener() {
                    @Override
                    public void onEvaluation(EvaluationReport report) {
                        evaluations.add(report);
                    }
                })
                .run();
        assertEquals(RunOutcome.Status.COMPLETED, outcome.status());

        Answers before = answer(base, heldOut);
        Answers after = answer(spec.outputDirectory(), heldOut);
        String seen = "held out %s, base %s, tuned %s".formatted(heldOutNumbers, before, after);
        // the same loss as the run's own validation, computed apart from the training loop's batches
        assertThat(before.loss()).as(seen).isCloseTo(evaluations.get(0).validLoss(), within(1e-3));
        assertThat(after.loss())
                .as(seen)
                .isCloseTo(evaluations.get(evaluations.size() - 1).validLoss(), within(1e-3));
        assertThat(after.loss()).as(seen).isLessThan(0.2 * before.loss());
        assertThat(before.correct()).as(seen).isLessThanOrEqualTo(HELD_OUT / 10);
        assertThat(after.correct()).as(seen).isGreaterThanOrEqualTo(HELD_OUT * 8 / 10);
    }

    private static String question(int n) {
        return "What is the parity of " + n + "?";
    }

    private static String parity(int n) {
        return n % 2 == 0 ? "even" : "odd";
    }

    /**
     * A model's held-out loss and greedy answers.
     *
     * @param loss mean negative log-prob of the learned tokens of the held-out conversations
     * @param correct answers equal to the held-out assistant turn, whole and ended by end of text
     * @param texts the answers
     */
    private record Answers(double loss, int correct, List<String> texts) {}

    private static Answers answer(Path model, List<List<ChatMessage>> conversations) throws Exception {
        try (LoadedModel loaded = LoadedModel.load(model, Device.cpu())) {
            TextGenerator generator = new TextGenerator(loaded);
            assertArrayEquals(
                    new int[] {TinyHfModels.IM_START, TinyHfModels.IM_END},
                    loaded.tokenizer().encode("<|im_start|><|im_end|>"),
                    "ChatML's markers are one token each");
            Encoder encoder = new Encoder(loaded.tokenizer(), generator.contextLength(), List.of());
            double lossSum = 0;
            int learnedTokens = 0;
            int correct = 0;
            List<String> texts = new ArrayList<>();
            for (List<ChatMessage> conversation : conversations) {
                Encoder.ChatSequence sequence = encoder.chatSequence(new Example.Chat(1, conversation));
                List<TokenScore> scores = generator.score(sequence.tokens(), 0, () -> false);
                for (int i = 1; i < scores.size(); i++) {
                    if (sequence.learned()[i]) {
                        lossSum -= scores.get(i).logprob();
                        learnedTokens++;
                    }
                }
                int[] prompt = generator.encodeChat(conversation.subList(0, conversation.size() - 1));
                Generation generation = generator.generate(
                        prompt, new Sampling(5, 0, 1, 0, List.of(), -1), () -> false, TokenStream.NONE);
                String expected = conversation.get(conversation.size() - 1).content();
                // no stop texts: a STOP is the end-of-text token, <|im_end|>
                if (generation.finishReason() == FinishReason.STOP
                        && generation.text().equals(expected)) {
                    correct++;
                }
                texts.add(generation.text());
            }
            return new Answers(lossSum / learnedTokens, correct, texts);
        }
    }

    private static Path write(Path file, List<List<ChatMessage>> conversations) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (List<ChatMessage> conversation : conversations) {
            JsonArray messages = new JsonArray();
            for (ChatMessage m : conversation) {
                JsonObject turn = new JsonObject();
                turn.addProperty("role", m.role());
                turn.addProperty("content", m.content());
                if (m.weight() != null) {
                    turn.addProperty("weight", m.weight());
                }
                messages.add(turn);
            }
            JsonObject row = new JsonObject();
            row.add("messages", messages);
            lines.append(row).append('\n');
        }
        return Files.writeString(file, lines.toString());
    }
}
