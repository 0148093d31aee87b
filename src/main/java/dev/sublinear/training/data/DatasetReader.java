package dev.sublinear.training.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.sublinear.training.chat.ChatMessage;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads and validates JSONL training and validation files for a task, before any training: every
 * problem is reported with its file and line, and the files are rejected as a whole if any is found.
 */
public final class DatasetReader {

    /** Past this many problems a file is clearly not for this task: stop collecting. */
    private static final int MAX_PROBLEMS = 1000;
    /** More distinct labels than this is not a classification data set. */
    static final int MAX_LABELS = 10_000;

    private final TaskType task;
    private final Tokenizer tokenizer;
    private final int contextLength;
    private final int minTrainingExamples;
    /** Whether {@code messages} rows are checked against the model's chat template and context. */
    private final boolean modelKnown;

    public DatasetReader(TaskType task, Tokenizer tokenizer, int contextLength, int minTrainingExamples) {
        this(task, tokenizer, contextLength, minTrainingExamples, true);
    }

    private DatasetReader(
            TaskType task, Tokenizer tokenizer, int contextLength, int minTrainingExamples, boolean modelKnown) {
        this.task = task;
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
        this.minTrainingExamples = minTrainingExamples;
        this.modelKnown = modelKnown;
    }

    /**
     * This reader for files uploaded before any model is chosen: {@code messages} rows are checked for
     * their shape only; the chat template and the context are checked when a job names its model.
     */
    public DatasetReader beforeModelIsKnown() {
        return new DatasetReader(task, tokenizer, contextLength, minTrainingExamples, false);
    }

    /**
     * Validates a training file and an optional validation file.
     *
     * @throws InvalidDataException with every problem found (line-numbered)
     */
    public TrainingData read(InputStream training, InputStream validation) throws IOException, InvalidDataException {
        List<DataProblem> problems = new ArrayList<>();
        List<DataProblem> warnings = new ArrayList<>();
        List<Example> trainingExamples = new ArrayList<>();
        parse("training", training, problems, warnings, trainingExamples::add);
        List<Example> validationExamples = new ArrayList<>();
        if (validation != null) {
            parse("validation", validation, problems, warnings, validationExamples::add);
        }
        Set<String> seen = new LinkedHashSet<>();
        trainingExamples.forEach(e -> collectLabel(e, seen));
        checkTraining(trainingExamples.size(), seen, problems);
        List<String> labels =
                task == TaskType.CLASSIFICATION ? seen.stream().sorted().toList() : List.of();
        if (task == TaskType.CLASSIFICATION) {
            for (Example e : validationExamples) {
                String label = ((Example.Labeled) e).label();
                if (!seen.contains(label)) {
                    problems.add(new DataProblem(
                            "validation",
                            e.line(),
                            "label",
                            "label '" + label + "' does not occur in the training file"));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidDataException(problems);
        }
        return new TrainingData(task, trainingExamples, validationExamples, labels, warnings);
    }

    /**
     * Checks a training file as {@link #read} does, keeping no example: memory stays flat however
     * large the file (for validating uploads).
     *
     * @throws InvalidDataException with every problem found (line-numbered)
     */
    public void validate(InputStream training) throws IOException, InvalidDataException {
        List<DataProblem> problems = new ArrayList<>();
        Set<String> labels = new LinkedHashSet<>();
        long[] count = {0};
        parse("training", training, problems, new ArrayList<>(), e -> {
            count[0]++;
            collectLabel(e, labels);
        });
        checkTraining(count[0], labels, problems);
        if (!problems.isEmpty()) {
            throw new InvalidDataException(problems);
        }
    }

    private void collectLabel(Example e, Set<String> labels) {
        if (task == TaskType.CLASSIFICATION && labels.size() <= MAX_LABELS) {
            labels.add(((Example.Labeled) e).label());
        }
    }

    private void checkTraining(long examples, Set<String> labels, List<DataProblem> problems) {
        if (examples < minTrainingExamples && problems.isEmpty()) {
            problems.add(new DataProblem(
                    "training",
                    0,
                    null,
                    "has " + examples + " example(s); at least " + minTrainingExamples + " are needed"));
        }
        if (task != TaskType.CLASSIFICATION || !problems.isEmpty()) {
            return;
        }
        if (labels.size() < 2) {
            problems.add(new DataProblem(
                    "training",
                    0,
                    "label",
                    "has " + labels.size() + " distinct label(s); classification needs at least 2"));
        } else if (labels.size() > MAX_LABELS) {
            problems.add(new DataProblem("training", 0, "label", "has more than " + MAX_LABELS + " distinct labels"));
        }
    }

    private void parse(
            String file,
            InputStream in,
            List<DataProblem> problems,
            List<DataProblem> warnings,
            Consumer<Example> examples)
            throws IOException {
        int lineNumber = 0;
        for (byte[] raw : new LineSplitter(in)) {
            lineNumber++;
            if (problems.size() >= MAX_PROBLEMS) {
                break;
            }
            if (raw == TOO_LONG) {
                problems.add(new DataProblem(file, lineNumber, null, "is longer than " + MAX_LINE_BYTES + " bytes"));
                continue;
            }
            String line;
            try {
                line = StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(raw))
                        .toString();
            } catch (CharacterCodingException e) {
                problems.add(new DataProblem(file, lineNumber, null, "is not valid UTF-8"));
                continue;
            }
            if (line.isBlank()) {
                continue;
            }
            JsonObject object = parseObject(file, lineNumber, line, problems);
            if (object != null) {
                Example example = task == TaskType.CAUSAL_LM
                        ? lmExample(file, lineNumber, object, problems)
                        : labeledExample(file, lineNumber, object, problems);
                if (example != null) {
                    checkLength(file, example, problems, warnings);
                    examples.accept(example);
                }
            }
        }
    }

    private static JsonObject parseObject(String file, int line, String text, List<DataProblem> problems) {
        try {
            JsonReader reader = new JsonReader(new StringReader(text));
            reader.setStrictness(Strictness.STRICT);
            JsonElement element = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                problems.add(new DataProblem(file, line, null, "has text after the JSON object"));
                return null;
            }
            if (!element.isJsonObject()) {
                problems.add(new DataProblem(file, line, null, "is not a JSON object"));
                return null;
            }
            return element.getAsJsonObject();
        } catch (JsonParseException | IOException | IllegalStateException e) {
            problems.add(new DataProblem(file, line, null, "is not valid JSON (" + firstSentence(e) + ")"));
            return null;
        }
    }

    private static Example lmExample(String file, int line, JsonObject o, List<DataProblem> problems) {
        if (o.has("messages")) {
            return chatExample(file, line, o, problems);
        }
        boolean pair = o.has("prompt") || o.has("completion");
        int before = problems.size();
        unexpectedFields(
                file,
                line,
                o,
                pair ? Set.of("prompt", "completion") : Set.of("text"),
                "prompt and completion, or text",
                problems);
        if (pair) {
            if (o.has("text")) {
                return null;
            }
            String prompt = string(file, line, o, "prompt", true, problems);
            String completion = string(file, line, o, "completion", false, problems);
            return problems.size() == before ? new Example.Completion(line, prompt, completion) : null;
        }
        String text = string(file, line, o, "text", false, problems);
        return problems.size() == before ? new Example.Text(line, text) : null;
    }

    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    /** A conversation in OpenAI's shape: every problem of every message, each naming its field. */
    private static Example chatExample(String file, int line, JsonObject o, List<DataProblem> problems) {
        int before = problems.size();
        unexpectedFields(file, line, o, Set.of("messages"), "messages, or prompt and completion, or text", problems);
        JsonElement value = o.get("messages");
        if (!value.isJsonArray()) {
            problems.add(new DataProblem(file, line, "messages", "must be a list of messages"));
            return null;
        }
        if (value.getAsJsonArray().isEmpty()) {
            problems.add(new DataProblem(file, line, "messages", "is empty: a conversation needs messages"));
            return null;
        }
        List<ChatMessage> messages = new ArrayList<>();
        int index = 0;
        for (JsonElement element : value.getAsJsonArray()) {
            String field = "messages[" + index++ + "]";
            if (!element.isJsonObject()) {
                problems.add(new DataProblem(file, line, field, "must be an object with role and content"));
                continue;
            }
            JsonObject m = element.getAsJsonObject();
            for (String key : m.keySet()) {
                if (!Set.of("role", "content", "weight").contains(key)) {
                    problems.add(new DataProblem(
                            file, line, field + "." + key, "is not expected here (expected role, content, weight)"));
                }
            }
            String role = messageString(file, line, m, field, "role", problems);
            if (role != null && !ROLES.contains(role)) {
                problems.add(new DataProblem(
                        file,
                        line,
                        field + ".role",
                        "'" + role + "' is not a role: expected system, user or assistant"));
                role = null;
            }
            String content = messageString(file, line, m, field, "content", problems);
            Integer weight = null;
            if (m.has("weight")) {
                JsonElement w = m.get("weight");
                if (role != null && !role.equals("assistant")) {
                    problems.add(new DataProblem(file, line, field + ".weight", "is only for assistant messages"));
                } else if (!w.isJsonPrimitive()
                        || !w.getAsJsonPrimitive().isNumber()
                        || (w.getAsDouble() != 0 && w.getAsDouble() != 1)) {
                    problems.add(new DataProblem(file, line, field + ".weight", "must be 0 or 1"));
                } else {
                    weight = (int) w.getAsDouble();
                }
            }
            if (role != null && content != null) {
                messages.add(new ChatMessage(role, content, weight));
            }
        }
        if (problems.size() != before) {
            return null;
        }
        if (messages.stream().noneMatch(ChatMessage::trained)) {
            problems.add(new DataProblem(
                    file, line, "messages", "has no assistant message to learn (none, or all with weight 0)"));
            return null;
        }
        return new Example.Chat(line, messages);
    }

    private static String messageString(
            String file, int line, JsonObject m, String field, String key, List<DataProblem> problems) {
        JsonElement value = m.get(key);
        if (value == null || value.isJsonNull()) {
            problems.add(new DataProblem(file, line, field + "." + key, "is missing"));
            return null;
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            problems.add(new DataProblem(file, line, field + "." + key, "must be a string"));
            return null;
        }
        return value.getAsString();
    }

    private static Example labeledExample(String file, int line, JsonObject o, List<DataProblem> problems) {
        int before = problems.size();
        unexpectedFields(file, line, o, Set.of("text", "label"), "text and label", problems);
        String text = string(file, line, o, "text", false, problems);
        String label = string(file, line, o, "label", false, problems);
        return problems.size() == before ? new Example.Labeled(line, text, label) : null;
    }

    private static void unexpectedFields(
            String file, int line, JsonObject o, Set<String> allowed, String expected, List<DataProblem> problems) {
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            if (!allowed.contains(e.getKey())) {
                problems.add(
                        new DataProblem(file, line, e.getKey(), "is not expected here (expected " + expected + ")"));
            }
        }
    }

    private static String string(
            String file, int line, JsonObject o, String field, boolean mayBeEmpty, List<DataProblem> problems) {
        JsonElement value = o.get(field);
        if (value == null || value.isJsonNull()) {
            problems.add(new DataProblem(file, line, field, "is missing"));
            return null;
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            problems.add(new DataProblem(file, line, field, "must be a string"));
            return null;
        }
        String s = value.getAsString();
        if (!mayBeEmpty && s.isBlank()) {
            problems.add(new DataProblem(file, line, field, "is empty"));
            return null;
        }
        return s;
    }

    private void checkLength(String file, Example example, List<DataProblem> problems, List<DataProblem> warnings) {
        int tokens;
        if (example instanceof Example.Chat chat) {
            if (!modelKnown) {
                return;
            }
            Encoder.ChatSequence sequence;
            try {
                sequence = new Encoder(tokenizer, contextLength, List.of()).chatSequence(chat);
            } catch (IllegalArgumentException e) {
                // a ChatTemplateException (the template cannot render or refuses it), or no template at all
                problems.add(new DataProblem(file, chat.line(), "messages", e.getMessage()));
                return;
            }
            if (sequence.firstLearned() < 0 || sequence.firstLearned() >= contextLength + 1) {
                problems.add(new DataProblem(
                        file,
                        chat.line(),
                        "messages",
                        "is " + sequence.tokens().length + " tokens long and its first assistant message to learn"
                                + " starts after the model's context of " + contextLength + " tokens"));
                return;
            }
            tokens = sequence.tokens().length;
        } else if (example instanceof Example.Completion c) {
            int prompt = framing() + tokenizer.promptEnd().length + tokenizer.encode(c.prompt()).length;
            if (prompt >= contextLength) {
                problems.add(new DataProblem(
                        file,
                        c.line(),
                        "prompt",
                        "fills the model's context of " + contextLength
                                + " tokens and leaves no room for the completion"));
                return;
            }
            tokens = prompt + tokenizer.encode(c.completion()).length + 1;
        } else if (example instanceof Example.Text t) {
            tokens = framing() + tokenizer.encode(t.text()).length + 1;
        } else {
            tokens = framing() + tokenizer.encode(((Example.Labeled) example).text()).length;
        }
        int limit = example instanceof Example.Labeled ? contextLength : contextLength + 1;
        if (tokens > limit && warnings.size() < MAX_PROBLEMS) {
            warnings.add(new DataProblem(
                    file,
                    example.line(),
                    null,
                    "is " + tokens + " tokens long and is truncated to the model's context of " + contextLength));
        }
    }

    /** The special tokens around every input (see {@link Tokenizer#inputPrefix()}). */
    private int framing() {
        return tokenizer.inputPrefix().length + tokenizer.inputSuffix().length;
    }

    private static String firstSentence(Exception e) {
        // Gson's messages carry its class name, advice for programmers and a link: keep what the user needs
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        m = m.replaceAll("(?s)\\s*See https.*$", "")
                .replaceFirst("^[a-z.]+\\.[A-Za-z]+Exception: ", "")
                .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON")
                .replaceFirst(" path \\$.*$", "");
        return m;
    }

    /** Splits a stream into lines of raw bytes ('\n', with an optional '\r' before it). */
    /** Longest line read; a longer one is a problem, not a memory spike. */
    static final int MAX_LINE_BYTES = 1 << 20;
    /** What the line splitter returns for a line over {@link #MAX_LINE_BYTES}. */
    private static final byte[] TOO_LONG = new byte[0];

    private static final class LineSplitter implements Iterable<byte[]> {
        private final InputStream in;

        LineSplitter(InputStream in) {
            this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
        }

        @Override
        public Iterator<byte[]> iterator() {
            return new Iterator<>() {
                private byte[] next = read();

                @Override
                public boolean hasNext() {
                    return next != null;
                }

                @Override
                public byte[] next() {
                    byte[] current = next;
                    next = read();
                    return current;
                }
            };
        }

        private byte[] read() {
            try {
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                int b;
                boolean any = false;
                boolean tooLong = false;
                while ((b = in.read()) != -1) {
                    any = true;
                    if (b == '\n') {
                        break;
                    }
                    if (line.size() >= MAX_LINE_BYTES) {
                        tooLong = true; // keep reading to the line's end, keeping nothing
                    } else {
                        line.write(b);
                    }
                }
                if (!any) {
                    return null;
                }
                if (tooLong) {
                    return TOO_LONG;
                }
                byte[] bytes = line.toByteArray();
                if (bytes.length > 0 && bytes[bytes.length - 1] == '\r') {
                    return Arrays.copyOf(bytes, bytes.length - 1);
                }
                return bytes;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
