package dev.sublinear.training.generation;

import java.util.List;

/**
 * How to pick tokens and when to stop.
 *
 * @param maxTokens the most tokens to generate (0 generates nothing)
 * @param temperature 0 picks the most likely token; above 0 samples from softmax(logits / temperature)
 * @param topP sample only from the smallest set of tokens whose probability reaches topP (1: all)
 * @param seed the sampler's seed: the same seed, prompt and model give the same tokens
 * @param stop texts that end the generation; the text returned stops before the first of them
 * @param logprobs how many most-likely alternatives to report with each token's log-prob; -1 for no
 *     log-probs at all
 */
public record Sampling(int maxTokens, double temperature, double topP, long seed, List<String> stop, int logprobs) {

    public Sampling {
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    /** Whether log-probs are asked for. */
    public boolean scored() {
        return logprobs >= 0;
    }
}
