package dev.sublinear.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The paper's claims, each judged from the study's numbers by a rule stated with it, so that the
 * report says what matched and what did not without anybody choosing after the fact.
 */
public final class Claims {

    /** How a claim fared. */
    public enum Verdict {
        MATCHED("matched"),
        NOT_MATCHED("did not match"),
        NOT_TESTABLE("could not be tested");

        private final String words;

        Verdict(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }
    }

    /**
     * One claim and what the study saw.
     *
     * @param claim what the paper says
     * @param rule how the study decides
     * @param observed the numbers behind the verdict
     * @param verdict the outcome
     */
    public record Claim(String claim, String rule, String observed, Verdict verdict) {}

    /** Final losses this close (relative to the reference's mean) count as "as good as". */
    static final double RELATIVE_TOLERANCE = 0.10;
    /** Nats per byte: below this, near-zero losses differ by nothing a translation would show. */
    static final double ABSOLUTE_TOLERANCE = 0.01;
    /** Exact-match points (as a fraction) a candidate may fall short by. */
    static final double EXACT_MATCH_TOLERANCE = 0.02;

    private final Map<String, VariantSummary> summaries;

    Claims(Map<String, VariantSummary> summaries) {
        this.summaries = summaries;
    }

    /** Judges every claim whose variants are in the study. */
    public List<Claim> judge() {
        List<Claim> claims = new ArrayList<>();
        claims.add(asGoodAs(
                Variant.FULL,
                Variant.ADAFACTOR,
                "Factored second-moment estimation trains as well as the full second moment."));
        claims.add(memory());
        claims.add(slowDecayUnstable());
        claims.add(fixes(
                Variant.SLOW_DECAY_CLIP,
                "Update clipping (d = 1) restores stability at beta2 = 0.999 without warm-up."));
        claims.add(fixes(
                Variant.DECAY_NO_CLIP,
                "The increasing decay beta2_t = 1 - t^-0.8 restores stability without clipping or warm-up."));
        claims.add(asGoodAs(
                Variant.MOMENTUM,
                Variant.ADAFACTOR,
                "Momentum can be dropped (beta1 = 0) with little loss in quality."));
        claims.add(asGoodAs(
                Variant.FIXED_RATE,
                Variant.ADAFACTOR,
                "Relative, parameter-scaled step sizes work as well as a tuned fixed learning rate."));
        claims.add(asGoodAs(
                Variant.ADAM,
                Variant.ADAFACTOR,
                "Adafactor, with its sublinear memory, reaches quality comparable to Adam with warm-up."));
        return claims;
    }

    /**
     * {@code candidate} is as good as {@code reference}: its loss is not worse by more than the
     * tolerance, and its held-out exact match not lower by more than the exact-match tolerance.
     */
    private Claim asGoodAs(String reference, String candidate, String claim) {
        VariantSummary ref = summaries.get(reference);
        VariantSummary can = summaries.get(candidate);
        String rule = String.format(
                Locale.ROOT,
                "matched when %s's mean final validation loss is at most %s's plus the"
                        + " largest of %d%% of it, %.2f nats and the larger seed range "
                        + "(max - min) of the two, and its mean"
                        + " exact match is at most %.0f points (or the larger seed range) below",
                candidate,
                reference,
                Math.round(RELATIVE_TOLERANCE * 100),
                ABSOLUTE_TOLERANCE,
                100 * EXACT_MATCH_TOLERANCE);
        if (ref == null || can == null) {
            return new Claim(claim, rule, "a variant is missing from this study", Verdict.NOT_TESTABLE);
        }
        if (ref.failedRuns() > 0 || can.failedRuns() > 0) {
            String observed = String.format(
                    Locale.ROOT,
                    "%s failed in %d of %d seeds, %s in %d of %d",
                    reference,
                    ref.failedRuns(),
                    ref.runs().size(),
                    candidate,
                    can.failedRuns(),
                    can.runs().size());
            return new Claim(claim, rule, observed, can.failedRuns() > 0 ? Verdict.NOT_MATCHED : Verdict.MATCHED);
        }
        double allowed = lossTolerance(ref, can);
        double difference = can.meanLoss() - ref.meanLoss();
        double allowedExact = Math.max(EXACT_MATCH_TOLERANCE, Math.max(ref.exactMatchRange(), can.exactMatchRange()));
        double shortfall = ref.meanExactMatch() - can.meanExactMatch();
        String observed = String.format(
                Locale.ROOT,
                "loss %s %.4f vs %s %.4f (difference %+.4f, allowed %.4f); exact match %.1f%% vs %.1f%% (allowed %.1f"
                        + " points below)",
                candidate,
                can.meanLoss(),
                reference,
                ref.meanLoss(),
                difference,
                allowed,
                100 * can.meanExactMatch(),
                100 * ref.meanExactMatch(),
                100 * allowedExact);
        boolean ok = difference <= allowed && shortfall <= allowedExact;
        return new Claim(claim, rule, observed, ok ? Verdict.MATCHED : Verdict.NOT_MATCHED);
    }

    private static double lossTolerance(VariantSummary reference, VariantSummary other) {
        return Math.max(
                Math.max(RELATIVE_TOLERANCE * reference.meanLoss(), ABSOLUTE_TOLERANCE),
                Math.max(reference.lossRange(), other.lossRange()));
    }

    private Claim memory() {
        String claim =
                "The factored optimizer state is sublinear: n + m floats per n x m matrix instead of Adam's 2nm.";
        String rule = "matched when the factored state is under 10% of Adam's for the same model";
        VariantSummary factored = summaries.get(Variant.ADAFACTOR);
        if (factored == null || factored.adamBytes() == 0) {
            return new Claim(claim, rule, "no Adafactor run", Verdict.NOT_TESTABLE);
        }
        double ratio = (double) factored.stateBytes() / factored.adamBytes();
        VariantSummary full = summaries.get(Variant.FULL);
        String observed = String.format(
                Locale.ROOT,
                "factored %s, %sAdam %s: %.2f%% of Adam's",
                Report.bytes(factored.stateBytes()),
                full == null ? "" : "full second moment " + Report.bytes(full.stateBytes()) + ", ",
                Report.bytes(factored.adamBytes()),
                100 * ratio);
        return new Claim(claim, rule, observed, ratio < 0.10 ? Verdict.MATCHED : Verdict.NOT_MATCHED);
    }

    private Claim slowDecayUnstable() {
        String claim =
                "With a slow decay (beta2 = 0.999) and no warm-up, training without update clipping is unstable.";
        String rule = "matched when at least one seed of " + Variant.SLOW_DECAY_NO_CLIP + " is unstable (failed,"
                + " spiked, or ended above its starting validation loss) or its mean "
                + "final validation loss is worse than "
                + Variant.SLOW_DECAY_CLIP + "'s by more than the tolerance";
        VariantSummary noClip = summaries.get(Variant.SLOW_DECAY_NO_CLIP);
        VariantSummary clip = summaries.get(Variant.SLOW_DECAY_CLIP);
        if (noClip == null) {
            return new Claim(claim, rule, "the variant is missing from this study", Verdict.NOT_TESTABLE);
        }
        boolean worse = clip != null && worseThan(noClip, clip);
        String observed = String.format(
                Locale.ROOT,
                "%d of %d seeds unstable (%d spikes, worst step %.2fx its recent median,"
                        + " %d failed); mean final validation loss %s%s",
                noClip.unstableRuns(),
                noClip.runs().size(),
                noClip.spikes(),
                noClip.worstSpikeRatio(),
                noClip.failedRuns(),
                Report.loss(noClip.meanLoss()),
                clip == null ? "" : " vs " + Report.loss(clip.meanLoss()) + " with clipping");
        return new Claim(
                claim, rule, observed, noClip.unstableRuns() > 0 || worse ? Verdict.MATCHED : Verdict.NOT_MATCHED);
    }

    /** A fix for the slow-decay instability: testable only where the instability showed. */
    private Claim fixes(String fixed, String claim) {
        String rule = "matched when every seed of " + fixed
                + " is stable and its mean final validation loss is not worse than " + Variant.SLOW_DECAY_NO_CLIP
                + "'s; not testable when " + Variant.SLOW_DECAY_NO_CLIP + " showed no instability";
        VariantSummary candidate = summaries.get(fixed);
        VariantSummary broken = summaries.get(Variant.SLOW_DECAY_NO_CLIP);
        if (candidate == null || broken == null) {
            return new Claim(claim, rule, "a variant is missing from this study", Verdict.NOT_TESTABLE);
        }
        String observed = String.format(
                Locale.ROOT,
                "%s: %d of %d seeds unstable, mean final validation loss %s; %s: %d of %d" + " unstable, %s",
                fixed,
                candidate.unstableRuns(),
                candidate.runs().size(),
                Report.loss(candidate.meanLoss()),
                Variant.SLOW_DECAY_NO_CLIP,
                broken.unstableRuns(),
                broken.runs().size(),
                Report.loss(broken.meanLoss()));
        boolean brokenShowed = broken.unstableRuns() > 0 || worseThan(broken, candidate);
        if (!brokenShowed) {
            return new Claim(claim, rule, observed, Verdict.NOT_TESTABLE);
        }
        boolean ok = candidate.unstableRuns() == 0 && candidate.meanLoss() <= broken.meanLoss();
        return new Claim(claim, rule, observed, ok ? Verdict.MATCHED : Verdict.NOT_MATCHED);
    }

    /** {@code a}'s mean final loss is above {@code b}'s by more than the tolerance. */
    private static boolean worseThan(VariantSummary a, VariantSummary b) {
        if (a.failedRuns() > 0 && b.failedRuns() == 0) {
            return true;
        }
        return a.meanLoss() - b.meanLoss() > lossTolerance(b, a);
    }
}
