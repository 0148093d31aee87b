package dev.sublinear.jobs.common;

import java.util.List;

/**
 * Which unfinished jobs use a file or a model, so that neither is deleted from under a job. The jobs
 * feature answers it; files and models ask without depending on the jobs that sit above them.
 */
public interface JobReferences {

    /** Ids of the tenant's unfinished jobs that name {@code resourceId} as a file or base model. */
    List<String> unfinishedJobsUsing(String tenantId, String resourceId);

    /** A deleted file is no longer a job's results file: {@code result_files} lists only files that exist. */
    void forgetResultFile(String tenantId, String fileId);
}
