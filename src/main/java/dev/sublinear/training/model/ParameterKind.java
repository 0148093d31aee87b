package dev.sublinear.training.model;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What part of a transformer a parameter belongs to, read from its name: the catalog models' block
 * paths ({@code 01decoder_03layer0_02attention_01qkv_weight}) and the Hugging Face names of the
 * imported families (GPT-2, llama/qwen, BERT). Biases and norm scales form one kind because they are
 * the vectors: Adafactor keeps their second moment in full, so they are where it saves nothing.
 */
public enum ParameterKind {
    EMBEDDINGS,
    ATTENTION,
    MLP,
    NORMS_AND_BIASES,
    HEAD,
    OTHER;

    /** A whole name part, between dots or underscores (a catalog path's parts start with their index). */
    private static Pattern part(String alternatives) {
        return Pattern.compile("(^|[._])\\d*(" + alternatives + ")([._]|$)");
    }

    // GPT-2's ln_1, ln_2, ln_f; DJL's LayerNorm gamma (scale) and beta (shift); every *norm*
    private static final Pattern NORM = Pattern.compile("norm|(^|[._])(ln_\\w|gamma|beta)([._]|$)");
    private static final Pattern BIAS = part("bias");
    private static final Pattern EMBEDDING = Pattern.compile("embed|(^|[._])(wte|wpe)([._]|$)");
    // the pooler feeds only BERT's classifier, so it counts as the head
    private static final Pattern HEAD_PART = Pattern.compile("lm_head|classifier|pooler|(^|[._])score([._]|$)");
    private static final Pattern ATTENTION_PART =
            Pattern.compile("attn|attention|(^|[._])\\d*(q_proj|k_proj|v_proj|o_proj|query|key|value|qkv)([._]|$)");
    // BERT's per-layer output.dense is the MLP's down projection (attention.output.dense matched above)
    private static final Pattern MLP_PART = Pattern.compile(
            "mlp|intermediate|ffn|feed_forward|(^|[._])(gate_proj|up_proj|down_proj|c_fc|fc\\d*)([._]|$)"
                    + "|(^|[._])output[._]dense");

    /** The name clients use: embeddings, attention, mlp, norms_and_biases, head or other. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind of the parameter called {@code name}; {@link #OTHER} for a name none of the rules knows. */
    public static ParameterKind of(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (BIAS.matcher(n).find() || NORM.matcher(n).find()) {
            return NORMS_AND_BIASES;
        }
        if (EMBEDDING.matcher(n).find()) {
            return EMBEDDINGS;
        }
        if (HEAD_PART.matcher(n).find()) {
            return HEAD;
        }
        if (ATTENTION_PART.matcher(n).find()) {
            return ATTENTION;
        }
        if (MLP_PART.matcher(n).find()) {
            return MLP;
        }
        return OTHER;
    }
}
