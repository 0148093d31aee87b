package dev.sublinear.training.generation;

import java.util.List;

/**
 * One token with its log-probability under the model and the most likely tokens at its position.
 *
 * @param id the token id
 * @param text the token decoded alone
 * @param logprob natural-log probability given the tokens before it; null for a sequence's first
 *     token, which has no context
 * @param top the most likely tokens at this position, most likely first (empty when none were asked
 *     for, or for a first token)
 */
public record TokenScore(int id, String text, Double logprob, List<Alternative> top) {

    /** A candidate token at a position and its log-probability. */
    public record Alternative(int id, String text, double logprob) {}
}
