package dev.sublinear.training.data;

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

    /** The ids of {@code text}, without special tokens. */
    int[] encode(String text);

    /** The text of {@code ids}; special tokens are left out. */
    String decode(int[] ids);
}
