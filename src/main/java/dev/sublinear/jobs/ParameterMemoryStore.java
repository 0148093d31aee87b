package dev.sublinear.jobs;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * A job's per-parameter optimizer memory, as JSON in {@code jobs.parameter_memory}: one list per job,
 * written by the worker holding it when it changes (once per attempt: the state never changes size),
 * read apart from the job row so that listing jobs does not carry it.
 */
@Repository
public class ParameterMemoryStore {

    private static final TypeReference<List<ParameterMemory>> LIST = new TypeReference<>() {};

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public ParameterMemoryStore(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Writes the list while {@code workerId}'s {@code attempt} holds the running job; false otherwise. */
    public boolean write(String jobId, String workerId, int attempt, List<ParameterMemory> parameters) {
        return jdbc.sql("UPDATE jobs SET parameter_memory = ? WHERE id = ? AND worker_id = ? AND attempt = ?"
                                + " AND status = 'running'")
                        .params(json.writeValueAsString(parameters), jobId, workerId, attempt)
                        .update()
                == 1;
    }

    /** The job's list, empty before its first step was reported. */
    public Optional<List<ParameterMemory>> read(String jobId) {
        return jdbc
                .sql("SELECT parameter_memory FROM jobs WHERE id = ?")
                .param(jobId)
                .query((rs, n) -> rs.getString("parameter_memory"))
                .list()
                .stream()
                .filter(Objects::nonNull)
                .findFirst()
                .map(text -> json.readValue(text, LIST));
    }
}
