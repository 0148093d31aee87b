package dev.sublinear.training.data;

import dev.sublinear.training.chat.ChatTemplate;
import java.util.Optional;

/**
 * Turns text into token ids and back. Implementations must be deterministic and need no download:
 * {@link ByteTokenizer}, and {@code dev.sublinear.training.tokenizer.HfTokenizer} for a Hugging Face
 * {@code tokenizer.json}.
 */
public interface Tokenizer {

    /** A name saved with models, so that loading picks the same tokenizer. */
    String type();

    int vocabularySize();

    int padId();

    /** Begin of sequence. */
    int bosId();

    /** End of sequence: generation stops here. */
    int eosId();

    /** Separates a prompt from its completion. */
    int separatorId();

    /**
     * The special tokens that open a model input, as the model was trained to see them: our BOS; for
     * a Hugging Face tokenizer what its post-processor puts before a text (llama's BOS, BERT's [CLS],
     * nothing for GPT-2 or Qwen).
     */
    default int[] inputPrefix() {
        return new int[] {bosId()};
    }

    /** The special tokens that close a model input: none of ours; BERT's [SEP]. */
    default int[] inputSuffix() {
        return new int[0];
    }

    /**
     * What separates a prompt from its completion: our separator token; nothing for a Hugging Face
     * model, whose fine-tuning recipes (TRL's prompt-completion data) concatenate the two.
     */
    default int[] promptEnd() {
        return new int[] {separatorId()};
    }

    /** The ids of {@code text}, without special tokens. */
    int[] encode(String text);

    /** The text of {@code ids}; special tokens are left out. */
    String decode(int[] ids);

    /** The model's chat template, where its tokenizer files have one. */
    default Optional<ChatTemplate> chatTemplate() {
        return Optional.empty();
    }
}
