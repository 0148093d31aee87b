package dev.sublinear.training.data;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 bytes as tokens (ids 0..255) plus four special tokens. Any text encodes, nothing is
 * downloaded, and the vocabulary is 260 whatever the language.
 */
public final class ByteTokenizer implements Tokenizer {

    public static final String TYPE = "byte";
    private static final int PAD = 256;
    private static final int BOS = 257;
    private static final int EOS = 258;
    private static final int SEPARATOR = 259;

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public int vocabularySize() {
        return 260;
    }

    @Override
    public int padId() {
        return PAD;
    }

    @Override
    public int bosId() {
        return BOS;
    }

    @Override
    public int eosId() {
        return EOS;
    }

    @Override
    public int separatorId() {
        return SEPARATOR;
    }

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xff;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length);
        for (int id : ids) {
            if (id >= 0 && id < 256) {
                bytes.write(id);
            }
        }
        // A model can emit byte sequences that are not UTF-8: show them as replacement characters.
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try {
            return decoder.decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("a replacing decoder cannot fail", e);
        }
    }
}
